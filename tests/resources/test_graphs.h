// Reference graphs for the resource-model tests and bench/resources (built with the Graph builder;
// the model zoo in core/models is independent of these).
#pragma once

#include <string>
#include <vector>

#include "core/graph.h"

namespace tinyprune::testgraphs {

// OpenLTH VGG-16 for CIFAR-10: 3x3 pad-1 convs with bias + BN + ReLU, 2x2 max pools, then a global
// average pool (the 2x2 avg-pool of the reference) and FC 512 -> classes.
inline Graph vgg16_cifar(int64_t classes = 10, int64_t hw = 32) {
  const std::vector<int> cfg = {64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512};
  Graph g;
  int x = g.input(3, hw, hw);
  for (int c : cfg) {
    if (c < 0) {
      x = g.max_pool(x, 2, 2);
      continue;
    }
    x = g.relu(g.batch_norm(g.conv2d(x, c, 3, 1, 1, 1, /*bias=*/true)));
  }
  x = g.linear(g.flatten(g.global_avg_pool(x)), classes);
  return g;
}

// ResNet-18 of the standard CIFAR shape: 3x3 stem (no max pool), 4 stages x 2 BasicBlocks,
// 1x1 conv + BN shortcuts at stage transitions, global pool, FC 512 -> classes.
inline Graph resnet18_cifar(int64_t classes = 10, int64_t hw = 32) {
  Graph g;
  int x = g.input(3, hw, hw);
  x = g.relu(g.batch_norm(g.conv2d(x, 64, 3, 1, 1, 1, false, "stem")));
  int64_t in = 64;
  const int64_t widths[] = {64, 128, 256, 512};
  for (int s = 0; s < 4; ++s) {
    for (int b = 0; b < 2; ++b) {
      const int64_t out = widths[s];
      const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
      const std::string p = "l" + std::to_string(s + 1) + "_" + std::to_string(b) + "_";
      int y = g.relu(g.batch_norm(g.conv2d(x, out, 3, stride, 1, 1, false, p + "conv1")));
      y = g.batch_norm(g.conv2d(y, out, 3, 1, 1, 1, false, p + "conv2"));
      int shortcut = x;
      if (stride != 1 || in != out) shortcut = g.batch_norm(g.conv2d(x, out, 1, stride, 0, 1, false, p + "down"));
      x = g.relu(g.add(y, shortcut, p + "add"));
      in = out;
    }
  }
  g.linear(g.flatten(g.global_avg_pool(x)), classes, true, "fc");
  return g;
}

// MobileNetV2 (width 1.0): inverted residuals (expand 1x1, depthwise 3x3, project 1x1, residual
// when stride 1 and equal widths), ReLU6, 1280-wide head, dropout 0.2, FC.
inline Graph mobilenet_v2(int64_t hw = 224, int64_t classes = 1000) {
  struct Setting {
    int t, c, n, s;
  };
  const Setting settings[] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                              {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  Graph g;
  int x = g.input(3, hw, hw);
  x = g.relu6(g.batch_norm(g.conv2d(x, 32, 3, 2, 1, 1, false, "stem")));
  int64_t in = 32;
  int block = 0;
  for (const Setting& st : settings) {
    for (int i = 0; i < st.n; ++i, ++block) {
      const int64_t stride = i == 0 ? st.s : 1;
      const std::string p = "b" + std::to_string(block) + "_";
      int y = x;
      const int64_t hidden = in * st.t;
      if (st.t != 1) y = g.relu6(g.batch_norm(g.conv2d(y, hidden, 1, 1, 0, 1, false, p + "expand")));
      y = g.relu6(g.batch_norm(g.conv2d(y, hidden, 3, stride, 1, hidden, false, p + "dw")));
      y = g.batch_norm(g.conv2d(y, st.c, 1, 1, 0, 1, false, p + "project"));
      if (stride == 1 && in == st.c) y = g.add(x, y, p + "add");
      x = y;
      in = st.c;
    }
  }
  x = g.relu6(g.batch_norm(g.conv2d(x, 1280, 1, 1, 0, 1, false, "head")));
  x = g.dropout(g.flatten(g.global_avg_pool(x)), 0.2);
  g.linear(x, classes, true, "fc");
  return g;
}

// k parallel branches of n 1x1 convs (c channels each) from a stem, summed by a chain of Adds.
inline Graph parallel_branches(int k, int n, int64_t c = 8, int64_t hw = 8) {
  Graph g;
  int x = g.input(3, hw, hw);
  x = g.relu(g.conv2d(x, c, 1, 1, 0, 1, false, "stem"));
  int sum = -1;
  for (int b = 0; b < k; ++b) {
    int y = x;
    for (int i = 0; i < n; ++i) {
      // Varying widths inside a branch (so orders differ in cost); the last one matches the Add.
      const int64_t width = i == n - 1 ? c : c + 2 * (i % 3);
      y = g.relu(g.conv2d(y, width, 1, 1, 0, 1, false, "br" + std::to_string(b) + "_" + std::to_string(i)));
    }
    sum = sum < 0 ? y : g.add(sum, y);
  }
  g.linear(g.flatten(g.global_avg_pool(sum)), 10, true, "fc");
  return g;
}

}  // namespace tinyprune::testgraphs
