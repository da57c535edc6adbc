#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "pruners/l1_filter_pruner.h"
#include "pruners/magnitude_pruner.h"
#include "pruners/uniform_pruner.h"
#include "pruners/width_search.h"
#include "tests/pruners/pruner_test_util.h"

namespace tinyprune {
namespace {

TrainContext context_for(GraphModule& m, const DataSplits* data, int64_t total = 20) {
  TrainContext ctx;
  ctx.model = m;
  ctx.data = data;
  ctx.steps_per_epoch = 10;
  ctx.total_steps = total;
  return ctx;
}

TEST(MagnitudePrunerTest, GlobalPruningHitsTheExactCountAndLayersCompete) {
  const DataSplits data = testing::tiny_data(64, 32);
  GraphModule m = testing::tiny_model("vgg11", data);
  auto p = testing::make_pruner("{method: magnitude, sparsity: 0.7, scope: global, schedule: {kind: one_shot}}");
  TrainContext ctx = context_for(m, &data);
  p->on_train_begin(ctx);
  p->on_step_begin(ctx);  // one-shot at step 0
  int64_t total = 0, zeros = 0;
  std::vector<double> per_layer;
  for (int id : p->masks().masked_nodes()) {
    const torch::Tensor w = m->weight(id);
    total += w.numel();
    zeros += w.numel() - w.count_nonzero().item<int64_t>();
    per_layer.push_back(1.0 - w.count_nonzero().item<double>() / w.numel());
  }
  EXPECT_EQ(zeros, std::llround(0.7 * total));
  // One global threshold: layers end up with different sparsities.
  EXPECT_GT(*std::max_element(per_layer.begin(), per_layer.end()) - *std::min_element(per_layer.begin(), per_layer.end()), 0.05);
  EXPECT_TRUE(p->target_met());
}

TEST(MagnitudePrunerTest, LayerScopePrunesEveryLayerToTheFraction) {
  const DataSplits data = testing::tiny_data(64, 32);
  GraphModule m = testing::tiny_model("vgg11", data);
  auto p = testing::make_pruner("{method: magnitude, sparsity: 0.5, scope: layer, exclude: [classifier], schedule: {kind: one_shot}}");
  TrainContext ctx = context_for(m, &data);
  p->on_train_begin(ctx);
  p->on_step_begin(ctx);
  const int fc = m->graph().at("classifier");
  EXPECT_EQ(m->weight(fc).count_nonzero().item<int64_t>(), m->weight(fc).numel());
  for (int id : p->masks().masked_nodes()) {
    const torch::Tensor w = m->weight(id);
    EXPECT_EQ(w.numel() - w.count_nonzero().item<int64_t>(), std::llround(0.5 * w.numel())) << m->graph().node(id).name;
  }
}

TEST(L1FilterPrunerTest, KeepsTheFiltersWithTheLargestL1Norm) {
  const DataSplits data = testing::tiny_data(64, 32);
  GraphModule m = testing::tiny_model("vgg11", data);
  auto p = testing::make_pruner("{method: l1_filter, ratio: 0.5, prune_epoch: 0}");
  TrainContext ctx = context_for(m, &data);
  p->on_train_begin(ctx);
  const ChannelGroups& groups = p->masks().groups();
  const int conv = 1;  // the first conv
  const ChannelGroup& g = groups.group(groups.group_of(conv));
  const torch::Tensor l1 = m->weight(conv).detach().abs().sum({1, 2, 3});
  p->on_step_begin(ctx);
  const torch::Tensor mask = p->masks().channel_mask(g.id);
  ASSERT_TRUE(mask.defined());
  EXPECT_EQ(mask.sum().item<int64_t>(), std::llround(0.5 * g.channels));
  // Every kept filter's norm >= every removed one's.
  EXPECT_GE(l1.masked_select(mask.gt(0.5)).min().item<double>(), l1.masked_select(mask.lt(0.5)).max().item<double>());
  EXPECT_TRUE(p->target_met());
}

TEST(UniformPrunerTest, FitsTheBudgetWithTheFirstChannels) {
  const DataSplits data = testing::tiny_data(64, 32);
  GraphModule m = testing::tiny_model("resnet20", data, 0.5);
  const ResourceReport full = ResourceModel(m->graph()).evaluate();
  const double kb = 0.4 * static_cast<double>(full.model_size_bytes) / 1024.0;
  auto p = testing::make_pruner("{method: uniform, budget: {model_size_kb: " + std::to_string(kb) + "}}");
  TrainContext ctx = context_for(m, &data);
  p->on_train_begin(ctx);
  EXPECT_TRUE(p->target_met());
  const ResourceReport r = ResourceModel(m->graph()).evaluate(p->masks().kept_widths());
  EXPECT_LE(r.model_size_bytes, kb * 1024.0);
  for (const auto& kv : p->masks().channel_masks()) {
    const int64_t keep = kv.second.sum().item<int64_t>();
    EXPECT_EQ(kv.second.slice(0, 0, keep).sum().item<int64_t>(), keep);  // a prefix
  }
  // Residual groups: one mask for every member of the group.
  bool residual = false;
  for (const ChannelGroup& g : p->masks().groups().groups()) residual |= g.producers.size() > 1;
  EXPECT_TRUE(residual);
}

TEST(UniformPrunerTest, UnreachableBudgetIsAResourceError) {
  const DataSplits data = testing::tiny_data(64, 32);
  GraphModule m = testing::tiny_model("resnet20", data, 0.5);
  auto p = testing::make_pruner("{method: uniform, budget: {peak_memory_kb: 0.01}}");
  TrainContext ctx = context_for(m, &data);
  EXPECT_THROW(p->on_train_begin(ctx), ResourceError);
}

}  // namespace
}  // namespace tinyprune
