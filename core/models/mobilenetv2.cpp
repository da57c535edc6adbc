// MobileNetV2; contract, width rule and input-size rule in builders.h.
#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "core/models/builders.h"

namespace tinyprune {

int64_t make_divisible(double v, int64_t divisor) {
  TP_CHECK_T(GraphError, divisor >= 1 && v > 0.0, "make_divisible: need v > 0 and divisor >= 1, got v=", v,
             " divisor=", divisor);
  const double d = static_cast<double>(divisor);
  int64_t out = std::max<int64_t>(divisor, static_cast<int64_t>(std::floor((v + d / 2.0) / d)) * divisor);
  if (static_cast<double>(out) < 0.9 * v) out += divisor;  // never round down by more than 10 %
  return out;
}

bool mobilenetv2_small_input(const ModelSpec& spec) { return std::min(spec.height, spec.width_px) <= 64; }

namespace {

struct InvertedResidualRow {
  int64_t t, c, n, s;  // expansion, output channels, repeats, stride of the first repeat
};
constexpr InvertedResidualRow kRows[] = {
    {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
};

int conv_bn_relu6(Graph& g, int x, int64_t channels, int64_t kernel, int64_t stride, int64_t groups,
                  const std::string& prefix, bool activation) {
  x = g.conv2d(x, channels, kernel, stride, /*padding=*/kernel / 2, groups, /*bias=*/false, prefix + "_conv");
  x = g.batch_norm(x, prefix + "_bn");
  return activation ? g.relu6(x, prefix + "_relu") : x;
}

int inverted_residual(Graph& g, int x, int64_t out_channels, int64_t stride, int64_t expand,
                      const std::string& p) {
  const int64_t in_channels = g.node(x).shape.c;
  const int64_t hidden = in_channels * expand;  // torchvision: round(inp * t), exact for integer t
  int y = x;
  if (expand != 1) y = conv_bn_relu6(g, y, hidden, /*kernel=*/1, /*stride=*/1, /*groups=*/1, p + "_expand", true);
  y = conv_bn_relu6(g, y, hidden, /*kernel=*/3, stride, /*groups=*/hidden, p + "_dw", true);
  y = conv_bn_relu6(g, y, out_channels, /*kernel=*/1, /*stride=*/1, /*groups=*/1, p + "_project",
                    /*activation=*/false);  // linear bottleneck
  if (stride == 1 && in_channels == out_channels) y = g.add(y, x, p + "_add");
  return y;
}

}  // namespace

Graph build_mobilenetv2(const ModelSpec& spec) {
  const bool small = mobilenetv2_small_input(spec);
  Graph g;
  int x = g.input(spec.in_channels, spec.height, spec.width_px);
  x = conv_bn_relu6(g, x, make_divisible(32 * spec.width), /*kernel=*/3, /*stride=*/small ? 1 : 2,
                    /*groups=*/1, "stem", true);
  int block = 1;  // torchvision features index: 0 is the stem, 1..17 the blocks, 18 the head conv
  bool first_strided_row = true;
  for (const InvertedResidualRow& row : kRows) {
    int64_t row_stride = row.s;
    if (row_stride == 2 && first_strided_row) {
      first_strided_row = false;
      if (small) row_stride = 1;  // CIFAR adaptation: keep 32x32 through the c=24 row
    }
    const int64_t out_channels = make_divisible(row.c * spec.width);
    for (int64_t i = 0; i < row.n; ++i)
      x = inverted_residual(g, x, out_channels, i == 0 ? row_stride : 1, row.t, "block" + std::to_string(block++));
  }
  x = conv_bn_relu6(g, x, make_divisible(1280 * std::max(1.0, spec.width)), /*kernel=*/1, /*stride=*/1,
                    /*groups=*/1, "head", true);
  add_classifier_head(g, x, spec, /*global_pool=*/true);
  return g;
}

}  // namespace tinyprune
