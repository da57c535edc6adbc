#include "pruners/mask_set.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/train/optimizer.h"
#include "tests/pruners/pruner_test_util.h"

namespace tinyprune {
namespace {

Graph conv_bn_net() {
  Graph g;
  int x = g.input(2, 6, 6);
  x = g.relu(g.batch_norm(g.conv2d(x, 4, 3, 1, 1, 1, false, "c1"), "bn1"));
  x = g.relu(g.batch_norm(g.conv2d(x, 5, 3, 1, 1, 1, false, "c2"), "bn2"));
  g.linear(g.flatten(g.global_avg_pool(x)), 3, true, "fc");
  return g;
}

TEST(MaskSetTest, PrunedWeightsStayExactlyZeroThroughMomentumAndWeightDecay) {
  torch::manual_seed(0);
  GraphModule m(conv_bn_net());
  MaskSet masks(m->graph());
  const int c1 = m->graph().at("c1");
  const torch::Tensor keep = torch::rand({4, 2, 3, 3}).gt(0.5).to(torch::kFloat);
  // Momentum first builds up while the weights are alive, then the mask arrives.
  OptimizerOptions oo;
  oo.momentum = 0.9;
  oo.weight_decay = 1e-2;
  auto opt = make_optimizer(m->parameters(), oo);
  const torch::Tensor x = torch::randn({8, 2, 6, 6});
  const torch::Tensor y = torch::randint(0, 3, {8});
  for (int step = 0; step < 6; ++step) {
    if (step == 3) {
      masks.set_weight_mask(c1, keep);
      masks.apply(m);
    }
    opt->zero_grad();
    torch::nn::functional::cross_entropy(m->forward(x), y).backward();
    if (step >= 3) masks.mask_gradients(m);
    opt->step();
    if (step >= 3) {
      // Without re-applying, momentum from steps 0-2 moves the pruned weights again.
      const double moved = (m->weight(c1) * (1 - keep)).abs().max().item<double>();
      EXPECT_GT(moved, 0.0) << "step " << step;
      masks.apply_weights(m);
    }
    if (step >= 3) EXPECT_EQ((m->weight(c1) * (1 - keep)).abs().max().item<double>(), 0.0);
  }
  EXPECT_EQ((m->weight(c1) * (1 - keep)).count_nonzero().item<int64_t>(), 0);
  EXPECT_GT((m->weight(c1) * keep).count_nonzero().item<int64_t>(), 0);
}

TEST(MaskSetTest, ChannelMaskZeroesTheChannelAfterBatchNormWhateverBeta) {
  torch::manual_seed(1);
  GraphModule m(conv_bn_net());
  m->eval();
  {
    torch::NoGradGuard ng;
    m->batch_norm(m->graph().at("bn1"))->bias.fill_(0.7);  // beta would leak through a pre-BN mask
  }
  MaskSet masks(m->graph());
  const int g = masks.groups().group_of(m->graph().at("c1"));
  masks.set_channel_mask(g, torch::tensor({1.f, 0.f, 1.f, 0.f}));
  masks.apply(m);
  const auto all = m->forward_all(torch::randn({2, 2, 6, 6}));
  const torch::Tensor relu1 = all[static_cast<size_t>(m->graph().at("bn1")) + 1];
  EXPECT_EQ(relu1.select(1, 1).abs().max().item<double>(), 0.0);
  EXPECT_EQ(relu1.select(1, 3).abs().max().item<double>(), 0.0);
  EXPECT_GT(relu1.select(1, 0).abs().max().item<double>(), 0.0);
  // The conv itself is not masked (its BN is), so its weights keep training.
  EXPECT_FALSE(m->output_mask(m->graph().at("c1")).defined());
  EXPECT_TRUE(m->output_mask(m->graph().at("bn1")).defined());
  EXPECT_EQ(masks.kept_widths()[static_cast<size_t>(g)], 2);
  // Counting mask: c1 rows 1, 3 and c2 columns 1, 3 are gone.
  EXPECT_EQ(masks.counting_mask(m->graph().at("c1")).sum().item<double>(), 2 * 2 * 9);
  EXPECT_EQ(masks.counting_mask(m->graph().at("c2")).sum().item<double>(), 5 * 2 * 9);
}

TEST(MaskSetTest, FilterletMaskZeroesOneKernelPositionOfEveryInputChannel) {
  torch::manual_seed(2);
  GraphModule m(conv_bn_net());
  MaskSet masks(m->graph());
  const int c2 = m->graph().at("c2");
  torch::Tensor f = torch::ones({5, 3, 3});
  f[2][1][0] = 0;
  masks.set_filterlet_mask(c2, f);
  masks.apply(m);
  EXPECT_EQ(m->weight(c2).select(0, 2).select(1, 1).select(1, 0).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(m->weight(c2).count_nonzero().item<int64_t>(), 5 * 4 * 9 - 4);
  EXPECT_EQ(masks.sparsity(m).zeros, 4);
}

TEST(MaskSetTest, SaveAndRestoreByName) {
  GraphModule m(conv_bn_net());
  MaskSet a(m->graph());
  a.set_weight_mask(m->graph().at("fc"), torch::ones({3, 5}).index_fill_(1, torch::tensor({2}), 0));
  a.set_channel_mask(a.groups().group_of(m->graph().at("c2")), torch::tensor({0.f, 1.f, 1.f, 1.f, 0.f}));
  torch::serialize::OutputArchive out;
  a.save(out);
  std::stringstream ss;
  out.save_to(ss);
  torch::serialize::InputArchive in;
  in.load_from(ss);
  MaskSet b(m->graph());
  b.load(in);
  ASSERT_EQ(b.weight_masks().size(), 1u);
  ASSERT_EQ(b.channel_masks().size(), 1u);
  EXPECT_TRUE(b.weight_mask(m->graph().at("fc")).equal(a.weight_mask(m->graph().at("fc"))));
  EXPECT_EQ(b.kept_widths(), a.kept_widths());
}

TEST(MaskSetTest, RejectsBadMasks) {
  GraphModule m(conv_bn_net());
  MaskSet masks(m->graph());
  const Graph& g = m->graph();
  EXPECT_THROW(masks.set_weight_mask(g.at("c1"), torch::ones({4, 2, 3})), GraphError);
  EXPECT_THROW(masks.set_weight_mask(g.at("bn1"), torch::ones({4})), GraphError);
  EXPECT_THROW(masks.set_filterlet_mask(g.at("fc"), torch::ones({3, 1, 1})), GraphError);
  const int logits = masks.groups().group_of(g.at("fc"));
  EXPECT_THROW(masks.set_channel_mask(logits, torch::ones({3})), GraphError);  // reaches the output
  try {
    masks.set_channel_mask(masks.groups().group_of(g.at("c1")), torch::zeros({4}));
    FAIL();
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("every channel"), std::string::npos);
  }
}

}  // namespace
}  // namespace tinyprune
