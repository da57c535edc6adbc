// Reference parameter counts, MACs, spatial sizes, residual structure and width scaling of the zoo.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "core/models/builders.h"
#include "core/models/zoo.h"
#include "tests/models/model_test_util.h"

namespace tinyprune {
namespace {

using testing::make_spec;

Graph build(const std::string& name, TensorShape input = {3, 32, 32}, double width = 1.0, int64_t classes = 10) {
  return build_model(make_spec(name, input, width, classes));
}

struct Tally {
  int64_t conv_weights = 0, conv_bias = 0, bn = 0, fc = 0;
  int64_t macs = 0;  // conv: Hout*Wout*Cout*KH*KW*Cin/groups; linear: in*out
};

Tally tally(const Graph& g) {
  Tally t;
  for (int i = 0; i < g.size(); ++i) {
    const Node& n = g.node(i);
    if (n.kind == OpKind::kConv2d) {
      const int64_t per_out = (g.in_channels(i) / n.groups) * n.kernel_h * n.kernel_w;
      t.conv_weights += n.out_channels * per_out;
      t.conv_bias += n.bias ? n.out_channels : 0;
      t.macs += n.shape.h * n.shape.w * n.out_channels * per_out;
    } else if (n.kind == OpKind::kLinear) {
      t.fc += g.param_count(i);
      t.macs += g.in_channels(i) * n.out_channels;
    } else if (n.kind == OpKind::kBatchNorm) {
      t.bn += g.param_count(i);
    }
  }
  EXPECT_EQ(t.conv_weights + t.conv_bias + t.bn + t.fc, g.param_count());
  return t;
}

int count_kind(const Graph& g, OpKind kind) {
  int k = 0;
  for (const Node& n : g.nodes()) k += n.kind == kind;
  return k;
}

TensorShape shape(const Graph& g, const std::string& node) { return g.node(g.at(node)).shape; }

// --- exact parameter counts ----------------------------------------------------------------------

TEST(ModelCountsTest, Vgg16MatchesOpenLTH) {
  Graph g = build("vgg16");
  EXPECT_EQ(g.param_count(), 14728266);
  EXPECT_EQ(tally(g).conv_weights, 14710464);  // OpenLTH's prunable conv weights (fc ignored)
}

TEST(ModelCountsTest, Vgg16ConvMacs) {
  // sum over convs of Hout*Wout*Cout*KH*KW*Cin, plus the 512x10 FC: 313.2 M.
  const Tally t = tally(build("vgg16"));
  EXPECT_EQ(t.macs, 313196544 + 5120);
  EXPECT_NEAR(static_cast<double>(t.macs) / 1e6, 313.2, 0.05);
}

TEST(ModelCountsTest, Resnet20MatchesOpenLTH) {
  Graph g = build("resnet20");
  EXPECT_EQ(g.param_count(), 272474);
  const Tally t = tally(g);
  EXPECT_EQ(t.conv_weights, 270256);  // OpenLTH prunable: conv 270,256 + FC 640
  EXPECT_EQ(t.fc, 640 + 10);
  EXPECT_EQ(t.conv_bias, 0);
}

TEST(ModelCountsTest, Resnet56) {
  Graph g = build("resnet56");
  EXPECT_EQ(g.param_count(), 855770);
  EXPECT_EQ(tally(g).conv_bias, 0);
}

TEST(ModelCountsTest, Resnet18Cifar) { EXPECT_EQ(build("resnet18").param_count(), 11173962); }

TEST(ModelCountsTest, Vgg11Cifar) { EXPECT_EQ(build("vgg11").param_count(), 9231114); }

TEST(ModelCountsTest, Vgg11DtmmMatchesDtmmCounts) {
  // algorithms.md 1.9 / reference/model_counts.py.
  const Tally t32 = tally(build("vgg11_dtmm"));
  EXPECT_EQ(t32.conv_weights, 1908576);
  EXPECT_EQ(t32.conv_bias, 1344);
  EXPECT_EQ(t32.fc, 10240 + 10);  // flatten of the 2x2x256 map
  EXPECT_NEAR(static_cast<double>(t32.macs - 10240) / 1e6, 71.66, 0.005);
  const Tally t64 = tally(build("vgg11_dtmm", {3, 64, 64}, 1.0, 2));
  EXPECT_EQ(t64.conv_weights, 1908576);
  EXPECT_EQ(t64.fc, 8192 + 2);
  EXPECT_NEAR(static_cast<double>(t64.macs - 8192) / 1e6, 286.65, 0.005);
}

TEST(ModelCountsTest, Resnet12MatchesDtmmCounts) {
  // 1,223,520 counts every conv weight including the three 1x1 projection shortcuts (43,008).
  Graph g = build("resnet12");
  const Tally t = tally(g);
  EXPECT_EQ(t.conv_weights, 1223520);
  EXPECT_EQ(t.conv_bias, 1440);
  EXPECT_EQ(t.fc, 2560 + 10);
  EXPECT_EQ(g.param_count(), 1229514);
  int64_t shortcut_weights = 0;
  for (int i = 0; i < g.size(); ++i)
    if (g.node(i).name.find("shortcut") != std::string::npos) shortcut_weights += g.param_count(i) - g.node(i).out_channels;
  EXPECT_EQ(shortcut_weights, 43008);
  EXPECT_NEAR(static_cast<double>(t.macs - 2560) / 1e6, 63.80, 0.005);
  const Tally t64 = tally(build("resnet12", {3, 64, 64}, 1.0, 2));
  EXPECT_NEAR(static_cast<double>(t64.macs - 512) / 1e6, 255.20, 0.005);
}

TEST(ModelCountsTest, MobileNetV2Cifar) { EXPECT_EQ(build("mobilenetv2").param_count(), 2236682); }

TEST(ModelCountsTest, MobileNetV2ImageNetMatchesTorchvision) {
  EXPECT_EQ(build("mobilenetv2", {3, 224, 224}, 1.0, 1000).param_count(), 3504872);
}

// --- spatial sizes (input-size rules) ------------------------------------------------------------

TEST(ModelShapesTest, VggSkipsPoolsThatDoNotFit) {
  Graph g28 = build("vgg11", {1, 28, 28});
  EXPECT_EQ(shape(g28, "features_pool3"), (TensorShape{512, 1, 1}));  // 28->14->7->3->1
  EXPECT_EQ(g28.find("features_pool4"), -1);
  EXPECT_EQ(shape(g28, "features_conv7"), (TensorShape{512, 1, 1}));
  Graph g32 = build("vgg11");
  EXPECT_EQ(shape(g32, "features_pool4"), (TensorShape{512, 1, 1}));
  EXPECT_EQ(count_kind(g32, OpKind::kMaxPool), 5);
  // Only the first conv's input width differs: the head is global-pooled.
  EXPECT_EQ(g28.param_count() - 64 * 1 * 9, g32.param_count() - 64 * 3 * 9);

  Graph v16 = build("vgg16");
  EXPECT_EQ(shape(v16, "features_relu12"), (TensorShape{512, 2, 2}));
  EXPECT_EQ(count_kind(v16, OpKind::kMaxPool), 4);
  EXPECT_EQ(shape(build("vgg16", {1, 28, 28}), "features_relu12"), (TensorShape{512, 1, 1}));

  EXPECT_EQ(shape(build("vgg11_dtmm", {1, 28, 28}), "flatten"), (TensorShape{256, 1, 1}));
  EXPECT_EQ(shape(build("vgg11_dtmm"), "flatten"), (TensorShape{1024, 1, 1}));
  // Non-square: pools stop once either side is 1.
  Graph wide = build("vgg11", {3, 1, 64});
  EXPECT_EQ(count_kind(wide, OpKind::kMaxPool), 0);
  EXPECT_EQ(shape(wide, "features_relu7"), (TensorShape{512, 1, 64}));
}

TEST(ModelShapesTest, ResnetStageResolutions) {
  Graph r20 = build("resnet20");
  EXPECT_EQ(shape(r20, "layer1_2_relu2"), (TensorShape{16, 32, 32}));
  EXPECT_EQ(shape(r20, "layer2_0_relu2"), (TensorShape{32, 16, 16}));
  EXPECT_EQ(shape(r20, "layer3_2_relu2"), (TensorShape{64, 8, 8}));
  EXPECT_EQ(shape(build("resnet20", {1, 28, 28}), "layer3_2_relu2"), (TensorShape{64, 7, 7}));
  EXPECT_EQ(shape(build("resnet18"), "layer4_1_relu2"), (TensorShape{512, 4, 4}));
  EXPECT_EQ(shape(build("resnet12"), "layer4_0_relu2"), (TensorShape{256, 4, 4}));
  EXPECT_EQ(shape(build("resnet12", {1, 28, 28}), "layer4_0_relu2"), (TensorShape{256, 4, 4}));  // 28->14->7->4
  EXPECT_EQ(shape(build("resnet56", {1, 28, 28}), "layer3_8_relu2"), (TensorShape{64, 7, 7}));
}

TEST(ModelShapesTest, MobileNetV2StridesDependOnInputSize) {
  EXPECT_TRUE(mobilenetv2_small_input(make_spec("mobilenetv2", {3, 64, 64})));
  EXPECT_FALSE(mobilenetv2_small_input(make_spec("mobilenetv2", {3, 65, 96})));
  Graph c32 = build("mobilenetv2");
  EXPECT_EQ(shape(c32, "stem_relu"), (TensorShape{32, 32, 32}));
  EXPECT_EQ(shape(c32, "block3_add"), (TensorShape{24, 32, 32}));
  EXPECT_EQ(shape(c32, "head_relu"), (TensorShape{1280, 4, 4}));
  EXPECT_EQ(shape(build("mobilenetv2", {1, 28, 28}), "head_relu"), (TensorShape{1280, 4, 4}));  // 28->14->7->4
  Graph in224 = build("mobilenetv2", {3, 224, 224}, 1.0, 1000);
  EXPECT_EQ(shape(in224, "stem_relu"), (TensorShape{32, 112, 112}));
  EXPECT_EQ(shape(in224, "head_relu"), (TensorShape{1280, 7, 7}));
  EXPECT_EQ(shape(build("mobilenetv2", {3, 96, 96}), "head_relu"), (TensorShape{1280, 3, 3}));
}

// --- residual structure ------------------------------------------------------------------------

TEST(ModelShapesTest, ResidualAddsArePresentWithEqualSummands) {
  struct Case {
    const char* name;
    int adds;
    int projections;
  };
  for (const Case c : {Case{"resnet20", 9, 2}, Case{"resnet56", 27, 2}, Case{"resnet18", 8, 3},
                       Case{"resnet12", 4, 3}, Case{"mobilenetv2", 10, 0}}) {
    for (TensorShape in : {TensorShape{3, 32, 32}, TensorShape{1, 28, 28}}) {
      Graph g = build(c.name, in, 0.5);
      EXPECT_EQ(count_kind(g, OpKind::kAdd), c.adds) << c.name;
      int projections = 0;
      for (const Node& n : g.nodes()) {
        if (n.kind == OpKind::kConv2d && n.name.find("_shortcut_conv") != std::string::npos) ++projections;
        if (n.kind != OpKind::kAdd) continue;
        const TensorShape a = g.node(n.inputs[0]).shape, b = g.node(n.inputs[1]).shape;
        EXPECT_EQ(a, b) << c.name << " " << n.name;
        EXPECT_NE(n.inputs[0], n.inputs[1]) << n.name;
      }
      EXPECT_EQ(projections, c.projections) << c.name;
    }
  }
  // A ResNet block: add(bn2, shortcut) then ReLU; identity shortcut in stage 1.
  Graph r20 = build("resnet20");
  const Node& add = r20.node(r20.at("layer1_0_add"));
  EXPECT_EQ(r20.node(add.inputs[0]).name, "layer1_0_bn2");
  EXPECT_EQ(r20.node(add.inputs[1]).name, "stem_relu");
  EXPECT_EQ(r20.node(r20.consumers(r20.at("layer1_0_add"))[0]).kind, OpKind::kReLU);
  const Node& add2 = r20.node(r20.at("layer2_0_add"));
  EXPECT_EQ(r20.node(add2.inputs[1]).name, "layer2_0_shortcut_bn");
  // DTMM ResNet-12: raw (bias, no BN) projection.
  Graph r12 = build("resnet12");
  EXPECT_EQ(r12.node(r12.at("layer2_0_add")).inputs[1], r12.at("layer2_0_shortcut_conv"));
  EXPECT_TRUE(r12.node(r12.at("layer2_0_shortcut_conv")).bias);
  EXPECT_EQ(r12.find("layer2_0_shortcut_bn"), -1);
  // MobileNetV2: the add joins the linear projection (no activation) and the block input.
  Graph m = build("mobilenetv2");
  const Node& madd = m.node(m.at("block3_add"));
  EXPECT_EQ(m.node(madd.inputs[0]).name, "block3_project_bn");
  EXPECT_EQ(m.node(madd.inputs[1]).name, "block2_project_bn");
  EXPECT_EQ(m.find("block1_expand_conv"), -1);  // t = 1: no expansion
  EXPECT_TRUE(m.node(m.at("block2_dw_conv")).is_depthwise(m.in_channels(m.at("block2_dw_conv"))));
}

// --- width multiplier ------------------------------------------------------------------------------

TEST(ModelShapesTest, WidthMultiplierScalesChannels) {
  auto oc = [](const Graph& g, const std::string& n) { return g.node(g.at(n)).out_channels; };
  Graph v = build("vgg16", {3, 32, 32}, 0.25);
  EXPECT_EQ(oc(v, "features_conv0"), 16);
  EXPECT_EQ(oc(v, "features_conv12"), 128);
  EXPECT_EQ(v.in_channels(v.at("classifier")), 128);
  EXPECT_EQ(v.node(v.at("classifier")).out_channels, 10);  // classes never scaled

  Graph r = build("resnet20", {3, 32, 32}, 0.5);
  EXPECT_EQ(oc(r, "stem_conv"), 8);
  EXPECT_EQ(oc(r, "layer2_0_conv1"), 16);
  EXPECT_EQ(oc(r, "layer3_2_conv2"), 32);
  EXPECT_EQ(r.in_channels(r.at("stem_conv")), 3);  // input never scaled
  // Rounding to nearest, at least 1: 16 * 0.3 = 4.8 -> 5, 16 * 0.01 -> 1.
  EXPECT_EQ(oc(build("resnet20", {3, 32, 32}, 0.3), "stem_conv"), 5);
  EXPECT_EQ(oc(build("resnet20", {3, 32, 32}, 0.01), "layer1_0_conv1"), 1);
  EXPECT_EQ(oc(build("resnet18", {3, 32, 32}, 2.0), "layer4_1_conv2"), 1024);

  // Parameters shrink roughly quadratically.
  const int64_t full = build("resnet18").param_count();
  const int64_t half = build("resnet18", {3, 32, 32}, 0.5).param_count();
  EXPECT_LT(half, full / 3);
  EXPECT_GT(half, full / 5);

  // MobileNetV2 follows torchvision's make_divisible (min 8) and keeps the 1280 head.
  Graph m = build("mobilenetv2", {3, 32, 32}, 0.5);
  EXPECT_EQ(oc(m, "stem_conv"), 16);
  EXPECT_EQ(oc(m, "block1_project_conv"), 8);
  EXPECT_EQ(oc(m, "block2_expand_conv"), 48);
  EXPECT_EQ(oc(m, "block17_project_conv"), 160);
  EXPECT_EQ(oc(m, "head_conv"), 1280);
  Graph q = build("mobilenetv2", {3, 32, 32}, 0.25);
  EXPECT_EQ(oc(q, "block1_project_conv"), 8);  // 16 * 0.25 = 4 -> 8 (minimum one divisor)
  EXPECT_EQ(oc(q, "block4_project_conv"), 8);
  EXPECT_EQ(oc(q, "head_conv"), 1280);
  EXPECT_EQ(oc(build("mobilenetv2", {3, 32, 32}, 1.4), "head_conv"), 1792);
}

TEST(ModelShapesTest, MakeDivisibleMatchesTorchvision) {
  EXPECT_EQ(make_divisible(4.0), 8);
  EXPECT_EQ(make_divisible(12.0), 16);  // ties round up
  EXPECT_EQ(make_divisible(32 * 0.35), 16);  // 11.2 -> 8 would lose > 10 %
  EXPECT_EQ(make_divisible(24 * 0.75), 24);  // 18 -> 16 would lose > 10 %
  EXPECT_EQ(make_divisible(96 * 0.5), 48);
  EXPECT_EQ(make_divisible(1280.0), 1280);
  EXPECT_EQ(make_divisible(320 * 1.4), 448);
  EXPECT_EQ(make_divisible(10.0, 4), 12);
}

}  // namespace
}  // namespace tinyprune
