#include "pruners/filterlet/filterlet_importance.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "pruners/filterlet/filterlet_units.h"

namespace tinyprune {
namespace {

// W [Cout 2, Cin 2, KH 1, KW 2] and a gradient chosen by hand; t = w*g:
//   o0: c0 [0.5, -2], c1 [-3, 1]     o1: c0 [-2, -0.5], c1 [0.5, -1]
torch::Tensor hand_w() {
  return torch::tensor({1.0, -2.0, 3.0, 0.5, -1.0, 1.0, 2.0, -4.0}, torch::kDouble).view({2, 2, 1, 2});
}
torch::Tensor hand_g() {
  return torch::tensor({0.5, 1.0, -1.0, 2.0, 2.0, -0.5, 0.25, 0.25}, torch::kDouble).view({2, 2, 1, 2});
}

TEST(FilterletImportanceTest, TaylorScoresOfAHandBuiltLayer) {
  const torch::Tensor flet = taylor_filterlet_scores(hand_w(), hand_g());
  ASSERT_EQ(flet.sizes(), (std::vector<int64_t>{2, 1, 2}));
  EXPECT_TRUE(flet.equal(torch::tensor({3.5, 3.0, 2.5, 1.5}, torch::kDouble).view({2, 1, 2}))) << flet;
  EXPECT_TRUE(taylor_filter_scores(hand_w(), hand_g(), FilterScoreForm::kSumAbs)
                  .equal(torch::tensor({6.5, 4.0}, torch::kDouble)));
  EXPECT_TRUE(taylor_filter_scores(hand_w(), hand_g(), FilterScoreForm::kAbsSum)
                  .equal(torch::tensor({3.5, 3.0}, torch::kDouble)));
  EXPECT_THROW(taylor_filterlet_scores(hand_w(), hand_g().view({2, 2, 2})), Error);
  EXPECT_EQ(filter_score_form("abs_sum"), FilterScoreForm::kAbsSum);
  EXPECT_THROW(filter_score_form("sum"), Error);
}

// in -> conv_a 3x3 -> bn -> relu -> conv_b 3x3 -> bn -> add(., relu) -> conv_c 1x1 -> GAP -> FC
Graph residual_graph() {
  Graph g;
  int x = g.input(2, 6, 6);
  x = g.relu(g.batch_norm(g.conv2d(x, 4, 3, 1, 1, 1, false, "conv_a"), "bn_a"), "relu_a");
  int y = g.batch_norm(g.conv2d(x, 4, 3, 1, 1, 1, false, "conv_b"), "bn_b");
  x = g.relu(g.add(y, x, "add"), "relu_add");
  x = g.relu(g.conv2d(x, 3, 1, 1, 0, 1, false, "conv_c"));
  g.linear(g.flatten(g.global_avg_pool(x)), 5, true, "fc");
  return g;
}

TEST(FilterletImportanceTest, ResidualGroupScoreIsTheSumOverItsProducers) {
  torch::manual_seed(0);
  GraphModule m(residual_graph());
  const Graph& g = m->graph();
  const ChannelGroups groups(g);
  const FilterletUnits u = filterlet_units(g, groups);
  EXPECT_EQ(u.filterlet_convs, (std::vector<int>{g.at("conv_a"), g.at("conv_b")}));  // conv_c is 1x1
  const int shared = groups.group_of(g.at("conv_a"));
  EXPECT_EQ(shared, groups.group_of(g.at("conv_b")));
  EXPECT_EQ(u.filter_groups, (std::vector<int>{shared, groups.group_of(g.at("conv_c"))}));

  std::map<std::string, torch::Tensor> grads;
  for (const char* n : {"conv_a", "conv_b", "conv_c"}) grads[std::string(n) + ".weight"] = torch::randn_like(m->weight(g.at(n)));
  const FilterletImportance imp = taylor_importance(m, groups, u, grads, FilterScoreForm::kSumAbs);
  const torch::Tensor expect = taylor_filter_scores(m->weight(g.at("conv_a")), grads["conv_a.weight"], FilterScoreForm::kSumAbs) +
                               taylor_filter_scores(m->weight(g.at("conv_b")), grads["conv_b.weight"], FilterScoreForm::kSumAbs);
  EXPECT_TRUE(imp.group.at(shared).allclose(expect, 0, 1e-12));
  EXPECT_TRUE(imp.filterlet.at(g.at("conv_b")).equal(taylor_filterlet_scores(m->weight(g.at("conv_b")), grads["conv_b.weight"])));
  EXPECT_EQ(imp.filterlet.count(g.at("conv_c")), 0u);

  grads.erase("conv_b.weight");
  EXPECT_THROW(taylor_importance(m, groups, u, grads, FilterScoreForm::kSumAbs), Error);
  // Magnitude: the same aggregation of |w|.
  const FilterletImportance mag = magnitude_importance(m, groups, u);
  EXPECT_TRUE(mag.filterlet.at(g.at("conv_a")).allclose(m->weight(g.at("conv_a")).to(torch::kDouble).abs().sum(1)));
}

}  // namespace
}  // namespace tinyprune
