#include "pruners/filterlet/filterlet_units.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "schedulers/dtmm_scheduler.h"

namespace tinyprune {
namespace {

TEST(FilterletUnitsTest, OnlyStandardConvsLargerThan1x1AreFilterletPruned) {
  Graph g;
  int x = g.input(3, 8, 8);
  x = g.relu(g.batch_norm(g.conv2d(x, 8, 3, 1, 1, 1, false, "c3x3")));
  x = g.relu(g.batch_norm(g.conv2d(x, 8, 3, 1, 1, /*groups=*/8, false, "dw")));
  x = g.relu(g.batch_norm(g.conv2d(x, 6, 1, 1, 0, 1, false, "c1x1")));
  x = g.relu(g.linear(g.flatten(g.global_avg_pool(x)), 16, true, "hidden"));
  g.linear(x, 4, true, "fc");
  const ChannelGroups groups(g);
  const FilterletUnits u = filterlet_units(g, groups);
  EXPECT_EQ(u.filterlet_convs, (std::vector<int>{g.at("c3x3")}));
  // c3x3 (its group also holds the depthwise conv) and c1x1 are filter-pruned; the Linear's group is not.
  EXPECT_EQ(u.filter_groups, (std::vector<int>{groups.group_of(g.at("c3x3")), groups.group_of(g.at("c1x1"))}));
  const FilterletUnits ex = filterlet_units(g, groups, {"c3x3"});
  EXPECT_TRUE(ex.filterlet_convs.empty());
  EXPECT_EQ(ex.filter_groups, (std::vector<int>{groups.group_of(g.at("c1x1"))}));
  EXPECT_THROW(filterlet_units(g, groups, {"hidden"}), Error);
}

TEST(FilterletUnitsTest, FilterMaskRemovesTheLowestWithDeterministicTies) {
  const torch::Tensor s = torch::tensor({3.0, 1.0, 2.0, 1.0, 5.0});
  EXPECT_TRUE(filter_keep_mask(s, 2).equal(torch::tensor({1.f, 0.f, 1.f, 0.f, 1.f})));
  EXPECT_TRUE(filter_keep_mask(s, 3).equal(torch::tensor({1.f, 0.f, 0.f, 0.f, 1.f})));
  EXPECT_TRUE(filter_keep_mask(s, 99).equal(torch::tensor({0.f, 0.f, 0.f, 0.f, 1.f})));  // never all
  EXPECT_TRUE(filter_keep_mask(torch::ones({4}), 2).equal(torch::tensor({0.f, 0.f, 1.f, 1.f})));  // lower index first
  EXPECT_EQ(lowest_indices(s, 3), (std::vector<int64_t>{1, 3, 2}));
}

TEST(FilterletUnitsTest, FilterletMaskKeepsEachSurvivingFiltersBestFilterlet) {
  // o0: [5, 1, 2], o1: [0.5, 0.5, 0.5] (ties), o2 (a removed filter): [9, 8, 7].
  const torch::Tensor s = torch::tensor({5.0, 1.0, 2.0, 0.5, 0.5, 0.5, 9.0, 8.0, 7.0}).view({3, 1, 3});
  const torch::Tensor rows = torch::tensor({1.f, 1.f, 0.f});
  EXPECT_TRUE(filterlet_keep_mask(s, rows, 3).equal(torch::tensor({1.f, 0.f, 1.f, 1.f, 0.f, 0.f, 0.f, 0.f, 0.f}).view({3, 1, 3})));
  EXPECT_TRUE(filterlet_keep_mask(s, rows, 100).equal(torch::tensor({1.f, 0.f, 0.f, 1.f, 0.f, 0.f, 0.f, 0.f, 0.f}).view({3, 1, 3})));
  EXPECT_TRUE(filterlet_keep_mask(s, rows, 0).equal(torch::tensor({1.f, 1.f, 1.f, 1.f, 1.f, 1.f, 0.f, 0.f, 0.f}).view({3, 1, 3})));
}

TEST(FilterletUnitsTest, MaskCountsForAlphaAndBeta) {
  // Cout 8, 3x3: beta 0.25 removes 2 filters, alpha 0.2 removes round(0.2*72) = 14 filterlets.
  torch::manual_seed(4);
  const torch::Tensor filter_scores = torch::rand({8});
  const torch::Tensor flet_scores = torch::rand({8, 3, 3});
  const int64_t nf = filters_to_remove(0.25, 8);
  const torch::Tensor rows = filter_keep_mask(filter_scores, nf);
  const int64_t ne = filterlets_to_remove(0.2, 8, 9, 8 - nf);
  const torch::Tensor m = filterlet_keep_mask(flet_scores, rows, ne);
  EXPECT_EQ(nf, 2);
  EXPECT_EQ(ne, 14);
  EXPECT_EQ(rows.sum().item<int64_t>(), 6);
  EXPECT_EQ(m.sum().item<int64_t>(), 9 * 6 - 14);
  // The removed filters are the two lowest-scoring ones and hold no kept filterlet.
  const auto low = lowest_indices(filter_scores, 2);
  for (int64_t o : low) EXPECT_EQ(m[o].sum().item<int64_t>(), 0);
  // Every removed filterlet of a surviving filter scores <= every kept one that is not a
  // filter's protected best.
  double max_removed = -1, min_kept = 1e9;
  for (int64_t o = 0; o < 8; ++o) {
    if (rows[o].item<float>() < 0.5) continue;
    const torch::Tensor so = flet_scores[o].reshape({-1}), mo = m[o].reshape({-1});
    const int64_t best = so.argmax().item<int64_t>();
    for (int64_t t = 0; t < 9; ++t) {
      if (mo[t].item<float>() < 0.5) max_removed = std::max(max_removed, so[t].item<double>());
      else if (t != best) min_kept = std::min(min_kept, so[t].item<double>());
    }
  }
  EXPECT_LE(max_removed, min_kept);
}

}  // namespace
}  // namespace tinyprune
