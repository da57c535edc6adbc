// ResNet family (basic blocks); contracts and reference counts in builders.h.
#include <string>

#include "core/error.h"
#include "core/models/builders.h"

namespace tinyprune {
namespace {

// conv (3x3 pad 1, or 1x1 pad 0) + optional BN; returns the last node.
int conv_bn(Graph& g, int x, int64_t channels, int64_t kernel, int64_t stride, bool bias, bool bn,
            const std::string& prefix, const std::string& suffix) {
  x = g.conv2d(x, channels, kernel, stride, /*padding=*/kernel / 2, /*groups=*/1, bias, prefix + "_conv" + suffix);
  if (bn) x = g.batch_norm(x, prefix + "_bn" + suffix);
  return x;
}

int basic_block(Graph& g, int x, int64_t channels, int64_t stride, const ResNetConfig& c, const std::string& p) {
  const int64_t in_channels = g.node(x).shape.c;
  int y = conv_bn(g, x, channels, /*kernel=*/3, stride, c.conv_bias, /*bn=*/true, p, "1");
  y = g.relu(y, p + "_relu1");
  y = conv_bn(g, y, channels, /*kernel=*/3, /*stride=*/1, c.conv_bias, /*bn=*/true, p, "2");
  int shortcut = x;
  if (stride != 1 || in_channels != channels)
    shortcut = conv_bn(g, x, channels, /*kernel=*/1, stride, c.conv_bias, c.shortcut_bn, p + "_shortcut", "");
  // Summand order (residual branch, shortcut) is fixed so that exporters see a stable graph.
  const int sum = g.add(y, shortcut, p + "_add");
  return g.relu(sum, p + "_relu2");
}

}  // namespace

Graph build_resnet(const ModelSpec& spec, const ResNetConfig& c) {
  const size_t stages = c.stage_channels.size();
  TP_CHECK_T(GraphError, stages > 0 && c.stage_blocks.size() == stages && c.stage_strides.size() == stages,
             "model \"", spec.name, "\": ResNet stage_channels, stage_blocks and stage_strides must be non-empty "
             "and of equal length");
  Graph g;
  int x = g.input(spec.in_channels, spec.height, spec.width_px);
  x = g.conv2d(x, scaled_channels(c.stem_channels, spec.width), /*kernel=*/3, /*stride=*/1, /*padding=*/1,
               /*groups=*/1, c.conv_bias, "stem_conv");
  x = g.relu(g.batch_norm(x, "stem_bn"), "stem_relu");
  for (size_t s = 0; s < stages; ++s) {
    TP_CHECK_T(GraphError, c.stage_blocks[s] >= 1 && c.stage_strides[s] >= 1, "model \"", spec.name,
               "\": stage ", s + 1, " needs >= 1 block and stride >= 1");
    const int64_t channels = scaled_channels(c.stage_channels[s], spec.width);
    for (int64_t b = 0; b < c.stage_blocks[s]; ++b) {
      const std::string prefix = "layer" + std::to_string(s + 1) + "_" + std::to_string(b);
      x = basic_block(g, x, channels, b == 0 ? c.stage_strides[s] : 1, c, prefix);
    }
  }
  add_classifier_head(g, x, spec, /*global_pool=*/true);
  return g;
}

namespace {
ResNetConfig cifar_resnet(int64_t blocks_per_stage) {
  ResNetConfig c;
  c.stem_channels = 16;
  c.stage_channels = {16, 32, 64};
  c.stage_blocks = {blocks_per_stage, blocks_per_stage, blocks_per_stage};
  c.stage_strides = {1, 2, 2};
  c.conv_bias = false;
  c.shortcut_bn = true;
  return c;
}
}  // namespace

Graph build_resnet20(const ModelSpec& spec) { return build_resnet(spec, cifar_resnet(/*blocks_per_stage=*/3)); }

Graph build_resnet56(const ModelSpec& spec) { return build_resnet(spec, cifar_resnet(/*blocks_per_stage=*/9)); }

Graph build_resnet18(const ModelSpec& spec) {
  ResNetConfig c;
  c.stem_channels = 64;
  c.stage_channels = {64, 128, 256, 512};
  c.stage_blocks = {2, 2, 2, 2};
  c.stage_strides = {1, 2, 2, 2};
  c.conv_bias = false;
  c.shortcut_bn = true;
  return build_resnet(spec, c);
}

Graph build_resnet12(const ModelSpec& spec) {
  ResNetConfig c;
  c.stem_channels = 32;
  c.stage_channels = {32, 64, 128, 256};
  c.stage_blocks = {1, 1, 1, 1};
  c.stage_strides = {1, 2, 2, 2};
  c.conv_bias = true;     // Keras Conv2D default use_bias=True
  c.shortcut_bn = false;  // DTMM adds the raw 1x1 projection to the BN'd residual branch
  return build_resnet(spec, c);
}

}  // namespace tinyprune
