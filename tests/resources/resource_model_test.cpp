#include "core/resources/resource_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "tests/resources/test_graphs.h"

namespace tinyprune {
namespace {

// input 3x8x8 -> conv 3->4 (3x3, pad 1, no bias) -> BN -> ReLU -> maxpool 2 -> flatten -> FC 64->10
Graph hand_chain() {
  Graph g;
  int x = g.input(3, 8, 8);
  x = g.relu(g.batch_norm(g.conv2d(x, 4, 3, 1, 1, 1, false, "conv")));
  x = g.max_pool(x, 2, 2, 0, "pool");
  g.linear(g.flatten(x), 10, true, "fc");
  return g;
}

TEST(ResourceModelTest, HandComputedChain) {
  ResourceModel rm(hand_chain());
  const ResourceReport r = rm.evaluate();
  EXPECT_EQ(r.params, 108 + 8 + 650);             // conv weights, BN gamma+beta, FC
  EXPECT_EQ(r.params, rm.graph().param_count());
  EXPECT_EQ(r.macs, 8 * 8 * 4 * 9 * 3 + 64 * 10);  // 6912 + 640
  EXPECT_EQ(r.model_size_weights_only_bytes, 108 + 640);
  EXPECT_EQ(r.model_size_bytes, 108 + 640 + 12 * 4 + 12 * 10);  // + int32 bias/mult/shift per out channel
  ASSERT_EQ(r.layers.size(), 4u);                 // input, conv(+bn+relu), pool, fc
  EXPECT_EQ(r.layers[1].fused, (std::vector<std::string>{"bn0", "relu0"}));
  EXPECT_EQ(r.layers[1].activation_bytes, 256);
  EXPECT_EQ(r.layers[1].flash_bytes, 108 + 48);
  EXPECT_EQ(r.layers[2].activation_bytes, 64);
  // input 192 + conv 256 is the largest working set; the chain has a single order.
  EXPECT_EQ(r.peak_memory_bytes, 448);
  EXPECT_EQ(r.peak_memory_default_order_bytes, 448);
  EXPECT_EQ(r.peak_memory_naive_bytes, 448);
  EXPECT_TRUE(r.peak_memory_exact);
  EXPECT_EQ(r.execution_order_names, (std::vector<std::string>{"conv", "pool", "fc"}));
  EXPECT_EQ(r.bottleneck, (std::vector<int>{0, 1}));
  EXPECT_TRUE(r.layers[0].in_bottleneck && r.layers[1].in_bottleneck && !r.layers[2].in_bottleneck);

  // Prune the conv group to 2 channels: weights and the FC input (2 blocks of 16) shrink.
  std::vector<int64_t> w = rm.groups().original_widths();
  w[static_cast<size_t>(rm.groups().group_of(rm.graph().at("conv")))] = 2;
  const ResourceReport p = rm.evaluate(w);
  EXPECT_EQ(p.params, 54 + 4 + 330);
  EXPECT_EQ(p.macs, 64 * 2 * 27 + 320);
  EXPECT_EQ(p.model_size_bytes, 54 + 320 + 12 * 2 + 12 * 10);
  EXPECT_EQ(p.peak_memory_bytes, 192 + 128);
  EXPECT_EQ(p.layers[2].shape, (TensorShape{2, 4, 4}));
}

TEST(ResourceModelTest, BranchesUseTheBestOrder) {
  // Two branches off the stem.
  Graph g;
  int x = g.input(1, 4, 4);                                    // 16 B
  int s = g.conv2d(x, 4, 1, 1, 0, 1, false, "stem");          // 64 B
  int a1 = g.conv2d(s, 8, 1, 1, 0, 1, false, "a1");           // 128 B
  int a2 = g.conv2d(a1, 1, 1, 1, 0, 1, false, "a2");          // 16 B
  int b1 = g.conv2d(s, 2, 1, 1, 0, 1, false, "b1");           // 32 B
  int b2 = g.conv2d(b1, 1, 1, 1, 0, 1, false, "b2");          // 16 B
  g.add(a2, b2, "add");                                        // 16 B
  ResourceModel rm(g);
  const ResourceReport r = rm.evaluate();
  // a1 always runs with stem alive (b1 still needs it) next to either a2 (a-branch first) or b2
  // (b-branch first): 64 + 128 + 16 = 208 in every order. The naive bound misses the live stem.
  EXPECT_EQ(r.peak_memory_bytes, 208);
  EXPECT_EQ(r.peak_memory_default_order_bytes, 208);
  EXPECT_EQ(r.peak_memory_naive_bytes, 192);
  (void)a1, (void)b1, (void)a2, (void)b2;

  // Here the order matters: finishing the b branch first frees b1 before the a branch runs.
  Graph h;
  x = h.input(1, 4, 4);
  s = h.conv2d(x, 4, 1, 1, 0, 1, false, "stem");                 // 64
  a1 = h.conv2d(s, 6, 1, 1, 0, 1, false, "a1");                  // 96
  a2 = h.conv2d(a1, 4, 1, 1, 0, 1, false, "a2");                 // 64
  b1 = h.conv2d(s, 6, 1, 1, 0, 1, false, "b1");                  // 96
  b2 = h.conv2d(b1, 1, 1, 1, 0, 1, false, "b2");                 // 16
  h.add(h.conv2d(a2, 1, 1, 1, 0, 1, false, "a3"), b2, "add");    // a3 16, add 16
  ResourceModel rh(h);
  const ResourceReport q = rh.evaluate();
  // Definition order: a1 (64+96), a2 (64+96+64 = 224), b1 (64+64+96 = 224)...
  // Best: b1 (160), b2 (64+96+16 = 176), a1 (64+16+96 = 176), a2 (96+16+64 = 176), a3, add.
  EXPECT_EQ(q.peak_memory_default_order_bytes, 224);
  EXPECT_EQ(q.peak_memory_bytes, 176);
  EXPECT_EQ(q.execution_order_names[1], "b1");
  EXPECT_EQ(q.peak_memory_naive_bytes, 160);
}

TEST(ResourceModelTest, Vgg16CifarTotals) {
  ResourceModel rm(testgraphs::vgg16_cifar());
  const ResourceReport r = rm.evaluate();
  EXPECT_EQ(r.params, 14728266);  // OpenLTH vgg_16 (conv bias + BN affine)
  EXPECT_EQ(r.macs, 313201664);   // the paper's 313.3 M
  EXPECT_EQ(r.model_size_weights_only_bytes, 14715584);
  EXPECT_EQ(r.model_size_bytes, 14715584 + 12 * (4224 + 10));
  EXPECT_EQ(r.peak_memory_bytes, 131072);  // 2 x 64x32x32: the paper's 131 KB
  EXPECT_EQ(r.peak_memory_default_order_bytes, 131072);
}

TEST(ResourceModelTest, ResNet18CifarTotals) {
  ResourceModel rm(testgraphs::resnet18_cifar());
  const ResourceReport r = rm.evaluate();
  EXPECT_EQ(r.params, 11173962);
  EXPECT_EQ(r.macs, 555422720);
  // Skip input + conv1 output + conv2 output of a 64x32x32 block.
  EXPECT_EQ(r.peak_memory_bytes, 3 * 65536);
  EXPECT_TRUE(r.peak_memory_exact);
}

TEST(ResourceModelTest, MobileNetV2MatchesPublishedPeakMemory) {
  // Liberis & Lane Table 3: unpruned MobileNet-v2 int8 PMU 76.2 KB (50x50) and 768 KB (160x160):
  // block 2's expanded tensor + its depthwise output.
  EXPECT_EQ(ResourceModel(testgraphs::mobilenet_v2(50, 2)).evaluate().peak_memory_bytes, 60000 + 16224);
  EXPECT_EQ(ResourceModel(testgraphs::mobilenet_v2(160, 2)).evaluate().peak_memory_bytes, 614400 + 153600);
  const ResourceReport r = ResourceModel(testgraphs::mobilenet_v2(224, 1000)).evaluate();
  EXPECT_EQ(r.params, 3504872);  // torchvision mobilenet_v2
  EXPECT_EQ(r.peak_memory_bytes, 1204224 + 301056);
}

TEST(ResourceModelTest, InPlaceAddOption) {
  // A residual block whose peak is at the Add: x, y and the sum.
  Graph g;
  int x = g.input(4, 8, 8);                                            // 256
  int y = g.conv2d(x, 4, 1, 1, 0, 1, false, "conv");                   // 256
  g.add(x, y, "add");                                                  // 256
  ResourceOptions o;
  EXPECT_EQ(ResourceModel(g, o).evaluate().peak_memory_bytes, 768);
  o.inplace_add = true;
  const ResourceReport r = ResourceModel(g, o).evaluate();
  EXPECT_EQ(r.peak_memory_bytes, 512);
  EXPECT_EQ(r.peak_memory_default_order_bytes, 512);
}

TEST(ResourceModelTest, StateCapFallsBackAndReportsIt) {
  ResourceOptions o;
  o.dp_state_cap = 5;
  const ResourceReport r = ResourceModel(testgraphs::parallel_branches(3, 4), o).evaluate();
  EXPECT_FALSE(r.peak_memory_exact);
  EXPECT_NE(r.peak_memory_note.find("state cap of 5"), std::string::npos) << r.peak_memory_note;
  EXPECT_EQ(r.peak_memory_bytes, r.peak_memory_default_order_bytes);
  o.fallback_to_default_order = false;
  EXPECT_THROW(ResourceModel(testgraphs::parallel_branches(3, 4), o).evaluate(), ResourceError);
}

TEST(ResourceModelTest, BadInputsGiveClearErrors) {
  ResourceModel rm(hand_chain());
  std::vector<int64_t> w = rm.groups().original_widths();
  w[1] = 0;
  try {
    rm.evaluate(w);
    FAIL();
  } catch (const ResourceError& e) {
    EXPECT_NE(std::string(e.what()).find("channel group \"conv\" (id 1): width 0 is out of range [1, 4]"),
              std::string::npos)
        << e.what();
  }
  w[1] = 5;
  EXPECT_THROW(rm.evaluate(w), ResourceError);
  std::vector<double> pi = rm.groups().unit_multipliers();
  pi[1] = -0.5;
  EXPECT_THROW(rm.gradients(pi), ResourceError);
  // VGG-16 needs at least 16x16 inputs (4 stride-2 pools); Graph reports it.
  try {
    testgraphs::vgg16_cifar(10, 8);
    FAIL();
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("too small"), std::string::npos) << e.what();
  }
}

// --- gradients ----------------------------------------------------------------------------------

// A graph with every kind of coupling: residual Add, depthwise block, Flatten->Linear blocks.
Graph gradient_graph() {
  Graph g;
  int x = g.input(3, 12, 12);
  int s = g.relu6(g.batch_norm(g.conv2d(x, 16, 3, 2, 1, 1, false, "stem")));  // 16x6x6
  int e = g.relu6(g.batch_norm(g.conv2d(s, 32, 1, 1, 0, 1, false, "expand")));
  int d = g.relu6(g.batch_norm(g.conv2d(e, 32, 3, 1, 1, 32, false, "dw")));
  int p = g.batch_norm(g.conv2d(d, 16, 1, 1, 0, 1, true, "project"));
  int a = g.add(s, p, "add");
  int b = g.relu(g.conv2d(a, 8, 3, 2, 1, 1, true, "side"));  // 8x3x3
  int f = g.flatten(b);
  int h = g.relu(g.linear(f, 24, true, "hidden"));
  g.linear(g.dropout(h, 0.1), 5, true, "fc");
  return g;
}

void expect_gradient(const char* what, const std::vector<double>& grad, const ResourceModel& rm,
                     const std::vector<double>& pi, double (*pick)(const RelaxedResources&)) {
  const double h = 1e-4;
  for (int g = 0; g < rm.groups().size(); ++g) {
    if (!rm.groups().group(g).prunable) {
      EXPECT_EQ(grad[static_cast<size_t>(g)], 0.0) << what << " group " << g;
      continue;
    }
    std::vector<double> up = pi, down = pi;
    up[static_cast<size_t>(g)] += h;
    down[static_cast<size_t>(g)] -= h;
    const double fd = (pick(rm.relaxed(up)) - pick(rm.relaxed(down))) / (2 * h);
    EXPECT_NEAR(grad[static_cast<size_t>(g)], fd, 1e-6 * std::max(1.0, std::abs(fd)))
        << what << " group " << rm.groups().group(g).name;
  }
}

TEST(ResourceModelTest, GradientsMatchFiniteDifferences) {
  for (bool inplace : {false, true}) {
    ResourceOptions o;
    o.inplace_add = inplace;
    ResourceModel rm(gradient_graph(), o);
    ASSERT_EQ(rm.groups().size(), 6);  // input, stem/add, expand/dw, side, hidden, fc
    std::vector<std::vector<double>> points;
    std::vector<double> pi = rm.groups().unit_multipliers();
    pi[1] = 0.75, pi[2] = 0.5, pi[3] = 0.625, pi[4] = 0.875;  // integral widths: 12, 16, 5, 21
    points.push_back(pi);
    pi[1] = 0.4, pi[2] = 0.9, pi[3] = 0.3, pi[4] = 0.55;
    points.push_back(pi);
    for (const auto& p : points) {
      const ResourceGradients gr = rm.gradients(p);
      expect_gradient("params", gr.params, rm, p, [](const RelaxedResources& r) { return r.params; });
      expect_gradient("macs", gr.macs, rm, p, [](const RelaxedResources& r) { return r.macs; });
      expect_gradient("size", gr.model_size_bytes, rm, p, [](const RelaxedResources& r) { return r.model_size_bytes; });
      expect_gradient("weights", gr.model_size_weights_only_bytes, rm, p,
                      [](const RelaxedResources& r) { return r.model_size_weights_only_bytes; });
      if (p == points[0]) {
        // At integral widths the deployed schedule's bottleneck is the relaxation's bottleneck.
        expect_gradient("pmu", gr.peak_memory_bytes, rm, p, [](const RelaxedResources& r) { return r.peak_memory_bytes; });
        expect_gradient("pmu default", gr.peak_memory_default_order_bytes, rm, p,
                        [](const RelaxedResources& r) { return r.peak_memory_default_order_bytes; });
        expect_gradient("pmu naive", gr.peak_memory_naive_bytes, rm, p,
                        [](const RelaxedResources& r) { return r.peak_memory_naive_bytes; });
        EXPECT_NEAR(rm.relaxed(p).peak_memory_bytes, static_cast<double>(gr.report.peak_memory_bytes), 1e-9);
      }
    }
  }
}

TEST(ResourceModelTest, GradientReportUsesDeployedWidthsAndBottleneckGroups) {
  ResourceModel rm(gradient_graph());
  std::vector<double> pi = rm.groups().unit_multipliers();
  pi[2] = 0.51;  // floor(0.51 * 32) = 16
  const ResourceGradients gr = rm.gradients(pi);
  EXPECT_EQ(gr.report.widths[2], 16);
  EXPECT_EQ(gr.report.macs, rm.evaluate(gr.report.widths).macs);
  // PMU gradient: only groups with a tensor in the bottleneck are non-zero; each entry is
  // bytes-per-channel * C_g summed over those tensors.
  double expected_expand = 0;
  for (int t : gr.report.bottleneck) {
    const LayerResources& l = gr.report.layers[static_cast<size_t>(t)];
    if (l.group == 2) expected_expand += static_cast<double>(l.shape.h * l.shape.w * 32);
  }
  EXPECT_DOUBLE_EQ(gr.peak_memory_bytes[2], expected_expand);
  EXPECT_GT(expected_expand, 0);  // expand/dw at 6x6 x 16 channels dominate
}

TEST(ResourceModelTest, ParamsEqualGraphParamCountOnReferenceModels) {
  for (const Graph& g : {testgraphs::vgg16_cifar(), testgraphs::resnet18_cifar(), testgraphs::mobilenet_v2(32, 10),
                         gradient_graph()})
    EXPECT_EQ(ResourceModel(g).evaluate().params, g.param_count());
}

}  // namespace
}  // namespace tinyprune
