#include "pruners/importance.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "tests/pruners/pruner_test_util.h"

namespace tinyprune {
namespace {

// conv (3 filters, 2 input channels, 1x2 kernel) -> BN -> ReLU -> GAP -> linear.
Graph hand_net() {
  Graph g;
  int x = g.input(2, 4, 4);
  x = g.relu(g.batch_norm(g.conv2d(x, 3, 1, 1, 0, 1, false, "conv"), "bn"));
  g.linear(g.flatten(g.global_avg_pool(x)), 2, true, "fc");
  return g;
}

TEST(ImportanceTest, NormsAndBnGammaOnHandSetWeights) {
  GraphModule m(hand_net());
  {
    torch::NoGradGuard ng;
    m->weight(m->graph().at("conv")).copy_(torch::tensor({1.f, -2.f, 0.5f, 0.5f, -3.f, 0.f}).view({3, 2, 1, 1}));
    m->batch_norm(m->graph().at("bn"))->weight.copy_(torch::tensor({0.1f, -0.9f, 0.4f}));
  }
  ChannelGroups groups(m->graph());
  const ChannelGroup& g = groups.group(groups.group_of(m->graph().at("conv")));
  EXPECT_TRUE(make_importance("l1")->channel_scores(m, g).equal(torch::tensor({3.f, 1.f, 3.f})));
  EXPECT_TRUE(make_importance("l2")->channel_scores(m, g).allclose(torch::tensor({std::sqrt(5.f), std::sqrt(0.5f), 3.f})));
  EXPECT_TRUE(make_importance("bn_gamma")->channel_scores(m, g).allclose(torch::tensor({0.1f, 0.9f, 0.4f})));
  EXPECT_TRUE(make_importance("l1")->filterlet_scores(m, m->graph().at("conv")).view({3}).equal(torch::tensor({3.f, 1.f, 3.f})));
  EXPECT_THROW(make_importance("bn_gamma")->weight_scores(m, m->graph().at("conv")), Error);
  try {
    make_importance("l3");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("known: bn_gamma, l1, l2, random, taylor"), std::string::npos);
  }
}

TEST(ImportanceTest, TaylorUsesTheAveragedGradient) {
  const DataSplits data = testing::tiny_data(64, 32, 0.5);
  GraphModule m = testing::tiny_model("vgg11", data);
  const int conv = m->graph().at(m->graph().node(1).name);
  auto taylor = make_importance("taylor");
  taylor->prepare(m, *data.val, /*batches=*/0, /*batch_size=*/7);
  // The same gradient by hand: mean cross-entropy over the whole split in one batch.
  const auto grads = average_gradients(m, *data.val, 1, data.val->size());
  const torch::Tensor w = m->weight(conv).detach();
  const torch::Tensor t = w * grads.at(m->graph().node(conv).name + ".weight");
  EXPECT_TRUE(taylor->weight_scores(m, conv).allclose(t.abs(), 1e-4, 1e-7));
  EXPECT_TRUE(taylor->filterlet_scores(m, conv).allclose(t.abs().sum(1), 1e-4, 1e-7));
  ChannelGroups groups(m->graph());
  const ChannelGroup& g = groups.group(groups.group_of(conv));
  EXPECT_TRUE(taylor->channel_scores(m, g).allclose(t.reshape({t.size(0), -1}).sum(1).abs(), 1e-4, 1e-7));
  // Gradients are left zeroed.
  for (const auto& p : m->parameters())
    if (p.grad().defined()) EXPECT_EQ(p.grad().abs().sum().item<double>(), 0.0);
}

TEST(ImportanceTest, KeepTopKBreaksTiesByIndex) {
  EXPECT_TRUE(keep_top_k(torch::tensor({1.f, 3.f, 3.f, 0.f, 3.f}), 2).equal(torch::tensor({0.f, 1.f, 1.f, 0.f, 0.f})));
  EXPECT_TRUE(keep_top_k(torch::tensor({1.f, 2.f}), 0).equal(torch::tensor({0.f, 0.f})));
  EXPECT_THROW(keep_top_k(torch::tensor({1.f}), 2), Error);
}

}  // namespace
}  // namespace tinyprune
