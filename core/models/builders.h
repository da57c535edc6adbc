// The built-in model families as plain Graph builders (registered in the zoo by
// register_builtin_models; call them directly or through build_model()).
//
// Common to every family:
//   * Any input (C, H, W) with C, H, W >= 1 and any class count >= 1; spec.width scales hidden
//     channels (scaled_channels(), model_spec.h; MobileNetV2: make_divisible, below).
//   * Input-size awareness: a 2x2 stride-2 max-pool is emitted only when the map is at least 2x2
//     (both H >= 2 and W >= 2); otherwise it is skipped (no node), so 28x28 VGG-11 runs
//     28->14->7->3->1 and drops its 5th pool. Every strided conv is a padded 3x3 (pad 1) or a 1x1,
//     which maps any extent >= 1 to ceil(extent / 2) >= 1. Hence every built-in builds for every
//     H, W >= 1; smaller inputs are rejected by ModelRegistry::build() with a GraphError, and a
//     custom configuration that still does not fit fails in Graph with a GraphError naming the node.
//   * Head: [global_avg_pool "avgpool"] -> "flatten" -> ["dropout" if spec.dropout > 0] ->
//     Linear "classifier" (with bias); the graph output is the classifier.
//   * BatchNorm uses LibTorch defaults (eps 1e-5, momentum 0.1), including the DTMM models whose
//     Keras originals use eps 1e-3 / momentum 0.99 (= 0.01 in LibTorch's convention).
//
// Node names (all families): conv/bn/activation triples share a stem ("features_conv3",
// "features_bn3", "features_relu3"; "layer2_0_conv1", "layer2_0_bn1", "layer2_0_relu1"), residual
// joins are "<block>_add", projection shortcuts "<block>_shortcut_conv" / "<block>_shortcut_bn".
#pragma once

#include <cstdint>
#include <vector>

#include "core/graph.h"
#include "core/models/model_spec.h"

namespace tinyprune {

// Appends the standard head to `x` and returns the classifier id:
//   [global_avg_pool "avgpool" if global_pool] -> "flatten" -> ["dropout" (p = spec.dropout) if
//   spec.dropout > 0] -> Linear "classifier" (spec.num_classes outputs, with bias).
int add_classifier_head(Graph& g, int x, const ModelSpec& spec, bool global_pool = true);

// --- VGG ---------------------------------------------------------------------------------------

// A plan entry equal to kVggPool is a 2x2 stride-2 max-pool; any other entry (> 0) is a 3x3 pad-1
// conv with that many (unscaled) output channels, followed by BatchNorm and ReLU.
constexpr int64_t kVggPool = 0;

struct VggConfig {
  std::vector<int64_t> plan;
  bool conv_bias = true;
  // true: global average pool before flatten (the map is reduced to 1x1 first; the classifier has
  // C inputs); false: flatten the last map directly (classifier has C*H*W inputs, as DTMM's Keras
  // VGG-11).
  bool global_pool = true;
};

// Names: conv i (0-based over convs) -> "features_conv{i}", "features_bn{i}", "features_relu{i}";
// pool j (0-based over plan pools, skipped ones included so later names never shift) ->
// "features_pool{j}".
Graph build_vgg(const ModelSpec& spec, const VggConfig& config);

// vgg11: 64,M,128,M,256,256,M,512,512,M,512,512,M; conv bias + BN + ReLU; GAP; FC.
//   3x32x32 / 10 classes / width 1: 9,231,114 params.
Graph build_vgg11(const ModelSpec& spec);
// vgg16 (OpenLTH cifar_vgg_16): 64,64,M,128,128,M,256,256,256,M,512,512,512,M,512,512,512 (no 5th
//   pool); conv bias + BN + ReLU; GAP (= OpenLTH's AvgPool2d(2) on the 2x2 map of a 32x32 input);
//   FC. 3x32x32 / 10 classes: 14,728,266 params.
Graph build_vgg16(const ModelSpec& spec);
// vgg11_dtmm (DTMM models/vgg11.py): 32,32,M,64,64,M,128,128,128,M,256,256,256,M; conv bias + BN +
//   ReLU; flatten (no GAP); FC. 3x32x32: dense conv weights 1,908,576.
Graph build_vgg11_dtmm(const ModelSpec& spec);

// --- ResNet (basic blocks) -----------------------------------------------------------------------

// Stem: 3x3 pad-1 stride-1 conv + BN + ReLU. Stage s (1-based) has stage_blocks[s-1] basic blocks
// of stage_channels[s-1] channels; its first block has stride stage_strides[s-1]. Basic block:
//   conv1 3x3 (stride) + bn1 + relu1 -> conv2 3x3 + bn2; shortcut = identity, or a 1x1 (stride)
//   projection when the stride is not 1 or the channel count changes; add; relu2 (after the add).
struct ResNetConfig {
  int64_t stem_channels = 16;
  std::vector<int64_t> stage_channels;
  std::vector<int64_t> stage_blocks;
  std::vector<int64_t> stage_strides;
  bool conv_bias = false;    // bias on every conv (incl. the projection)
  bool shortcut_bn = true;   // BatchNorm after the projection conv
};

// Names: "stem_conv", "stem_bn", "stem_relu"; block b (0-based) of stage s (1-based) ->
// "layer{s}_{b}_conv1", "..._bn1", "..._relu1", "..._conv2", "..._bn2", "..._shortcut_conv",
// "..._shortcut_bn", "..._add", "..._relu2"; then "avgpool", "flatten", ["dropout"], "classifier".
Graph build_resnet(const ModelSpec& spec, const ResNetConfig& config);

// resnet20 / resnet56 (He et al. CIFAR, OpenLTH cifar_resnet_20/56): stem 16; stages 16/32/64 with
//   3 (resp. 9) blocks, strides 1/2/2; no conv bias; 1x1 conv + BN projections.
//   3x32x32 / 10 classes: resnet20 272,474 params; resnet56 855,770.
Graph build_resnet20(const ModelSpec& spec);
Graph build_resnet56(const ModelSpec& spec);
// resnet18 (CIFAR variant: 3x3 stride-1 stem, no max-pool): stem 64; stages 64/128/256/512 with
//   2 blocks, strides 1/2/2/2; no conv bias; 1x1 conv + BN projections.
//   3x32x32 / 10 classes: 11,173,962 params.
Graph build_resnet18(const ModelSpec& spec);
// resnet12 (DTMM models/resnet12.py): stem ("conv_0") 32; stages 32/64/128/256 with 1 block each,
//   strides 1/2/2/2; every conv has a bias; the 1x1 stride-2 projections of stages 2-4 have a bias
//   and no BatchNorm (as in DTMM). 3x32x32: dense conv weights 1,223,520 = 3x3 convs 1,180,512 +
//   projections 43,008 (the figure of algorithms.md 1.9 includes the projections); conv biases
//   1,440; total 1,229,514 params with 10 classes.
Graph build_resnet12(const ModelSpec& spec);

// --- MobileNetV2 ---------------------------------------------------------------------------------

// torchvision's _make_divisible: the multiple of `divisor` nearest to v (ties up), at least
// `divisor`, and bumped by one `divisor` if rounding lost more than 10 %.
int64_t make_divisible(double v, int64_t divisor = 8);

// True when MobileNetV2 uses its small-input strides: min(H, W) <= 64.
bool mobilenetv2_small_input(const ModelSpec& spec);

// mobilenetv2 (Sandler et al.; layout and width rule of torchvision mobilenet_v2):
//   * stem 3x3 conv (stride 2) + BN + ReLU6 ("stem_conv", "stem_bn", "stem_relu"),
//     make_divisible(32 * width) channels;
//   * 17 inverted residual blocks "block1".."block17" from the (t, c, n, s) table
//     (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1):
//     [1x1 "expand" conv to round(in * t) + BN + ReLU6, omitted when t = 1] ->
//     3x3 depthwise "dw" conv (stride s on the first block of a row) + BN + ReLU6 ->
//     1x1 "project" conv to make_divisible(c * width) + BN (linear) -> "add" with the block input
//     when the stride is 1 and the channel counts match. Names "block{i}_expand_conv",
//     "block{i}_expand_bn", "block{i}_expand_relu", "block{i}_dw_{conv,bn,relu}",
//     "block{i}_project_{conv,bn}", "block{i}_add" (i = torchvision's features index);
//   * 1x1 conv to make_divisible(1280 * max(1, width)) (never below 1280) + BN + ReLU6
//     ("head_conv", "head_bn", "head_relu");
//   * avgpool, flatten, [dropout], classifier. No conv has a bias.
//   Width: every channel count except the head's is make_divisible(c * width) (minimum 8), exactly
//   as torchvision, so width 0.25 gives 8-channel early layers rather than 4; this keeps
//   (width, layout) identical to torchvision's mobilenet_v2(width_mult=width).
//   Input-size rule: if mobilenetv2_small_input(spec) (min(H, W) <= 64, e.g. CIFAR 32x32,
//   Fashion-MNIST 28x28, VWW 64x64) the stem and the first stride-2 row (c = 24) use stride 1
//   (total stride 8 instead of 32, the usual CIFAR adaptation); larger inputs use the ImageNet
//   strides. Parameter counts do not depend on strides:
//   3x32x32 / 10 classes: 2,236,682; 3x224x224 / 1000 classes: 3,504,872 (= torchvision).
Graph build_mobilenetv2(const ModelSpec& spec);

}  // namespace tinyprune
