// The `differentiable` pruner on tiny models: residual groups share one mask and their mask
// gradients sum over members, budgets are reached on a short synthetic run (and the compacted model
// is within them), resume mid-pruning reproduces pi and masks exactly, early termination trains the
// compacted model, and bad budgets give clear errors.
#include "pruners/differentiable_pruner.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/error.h"
#include "core/resources/resource_model.h"
#include "core/train/interrupt.h"
#include "pruners/compaction.h"
#include "tests/pruners/pruner_test_util.h"
#include "tests/test_util.h"

namespace tinyprune {
namespace {

std::shared_ptr<DifferentiablePruner> make_dp(const std::string& yaml) {
  register_builtin_pruners();
  if (!PrunerRegistry::global().contains("differentiable")) register_differentiable_pruner(PrunerRegistry::global());
  std::unique_ptr<Pruner> p = testing::make_pruner(yaml);
  auto* dp = dynamic_cast<DifferentiablePruner*>(p.get());
  EXPECT_NE(dp, nullptr);
  p.release();
  return std::shared_ptr<DifferentiablePruner>(dp);
}

// Full-model resources of a tiny zoo model.
ResourceReport full_resources(const GraphModule& m) { return ResourceModel(m->graph()).evaluate(); }

std::string budget_yaml(double macs, double pmu_kb = 0, double size_kb = 0) {
  std::string b = fmt::format("macs: {}", macs);
  if (pmu_kb > 0) b += fmt::format(", peak_memory_kb: {}", pmu_kb);
  if (size_kb > 0) b += fmt::format(", model_size_kb: {}", size_kb);
  return "{" + b + "}";
}

TEST(DifferentiablePrunerTest, ResidualGroupsShareOneMaskAndSumTheirGradients) {
  torch::set_num_threads(1);
  const DataSplits data = testing::tiny_data();
  GraphModule model = testing::tiny_model("resnet20", data, 0.5);
  const ChannelGroups groups(model->graph());
  // Find a residual group: one prunable group with several producers (stem + block conv2s).
  int residual = -1;
  for (const ChannelGroup& g : groups.groups())
    if (g.prunable && g.producers.size() >= 3) residual = g.id;
  ASSERT_GE(residual, 0);
  const ChannelGroup& rg = groups.group(residual);

  // One mask per group; every masked member of the residual group carries it.
  MaskSet masks(model->graph());
  torch::Tensor keep = torch::ones({rg.channels});
  keep.index_put_({torch::indexing::Slice(0, rg.channels / 2)}, 0.0);
  masks.set_channel_mask(residual, keep);
  masks.apply(model);
  int masked_nodes = 0;
  for (int id : rg.members)
    if (model->output_mask(id).defined()) {
      EXPECT_TRUE(model->output_mask(id).equal(keep)) << model->graph().node(id).name;
      ++masked_nodes;
    }
  EXPECT_GE(masked_nodes, 3);

  // dP/dM for the shared mask is the sum of the per-node gradients.
  const Batch b = data.val->get_unaugmented_batch({0, 1, 2, 3, 4, 5, 6, 7});
  std::vector<std::vector<double>> shared;
  const double loss = mask_gradients(model, groups, b.images, b.labels, shared);
  ASSERT_EQ(shared[static_cast<size_t>(residual)].size(), static_cast<size_t>(rg.channels));
  model->eval();
  std::vector<torch::Tensor> leaves;
  std::vector<int> nodes;
  for (int id : rg.members)
    if (model->output_mask(id).defined()) {
      leaves.push_back(keep.clone().set_requires_grad(true));
      nodes.push_back(id);
      model->set_output_mask(id, leaves.back());
    }
  const torch::Tensor l2 = torch::nn::functional::cross_entropy(model->forward(b.images), b.labels);
  EXPECT_NEAR(l2.item<double>(), loss, 1e-6);
  const auto per_node = torch::autograd::grad({l2}, leaves);
  torch::Tensor sum = torch::zeros({rg.channels});
  for (const auto& g : per_node) sum += g;
  for (int64_t j = 0; j < rg.channels; ++j)
    EXPECT_NEAR(shared[static_cast<size_t>(residual)][static_cast<size_t>(j)], sum[j].item<double>(), 1e-6) << j;
  // mask_gradients left the model's masks and parameter gradients alone.
  masks.apply(model);
  for (auto& p : model->parameters()) EXPECT_FALSE(p.grad().defined() && p.grad().abs().sum().item<double>() > 0);
}

TEST(DifferentiablePrunerTest, SalienceIsTheMaxBnGammaOverMembers) {
  const DataSplits data = testing::tiny_data();
  GraphModule model = testing::tiny_model("resnet20", data, 0.5);
  const ChannelGroups groups(model->graph());
  for (const ChannelGroup& g : groups.groups()) {
    if (!g.prunable) continue;
    torch::Tensor expect;
    for (int m : g.members)
      if (model->graph().node(m).kind == OpKind::kBatchNorm) {
        torch::NoGradGuard ng;
        model->batch_norm(m)->weight.uniform_(-1, 1);
        const torch::Tensor a = model->batch_norm(m)->weight.detach().abs().to(torch::kDouble);
        expect = expect.defined() ? torch::maximum(expect, a) : a;
      }
    ASSERT_TRUE(expect.defined()) << g.name;
    const std::vector<double> s = group_salience(model, g);
    for (int64_t j = 0; j < g.channels; ++j) EXPECT_NEAR(s[static_cast<size_t>(j)], expect[j].item<double>() + 1e-8, 1e-12);
  }
  // The classifier group has no BN: L2 norm of its rows.
  const int fc = groups.group_of(model->graph().at("classifier"));
  const std::vector<double> s = group_salience(model, groups.group(fc));
  const torch::Tensor rows = model->weight(model->graph().at("classifier")).detach().to(torch::kDouble).norm(2, 1);
  EXPECT_NEAR(s[1], rows[1].item<double>() + 1e-8, 1e-12);
}

TEST(DifferentiablePrunerTest, ReachesBudgetsOnATinySyntheticRun) {
  torch::set_num_threads(1);
  const DataSplits data = testing::tiny_data();
  GraphModule model = testing::tiny_model("resnet20", data, 0.5);
  const ResourceReport full = full_resources(model);
  const double macs = 0.5 * static_cast<double>(full.macs);
  const double pmu_kb = 0.75 * static_cast<double>(full.peak_memory_bytes) / 1024.0;
  auto pruner = make_dp("{method: differentiable, update_every: 2, final_phase: 0.2, budget: " +
                        budget_yaml(macs, pmu_kb) + "}");
  Trainer trainer(model, data, testing::tiny_train(4), TrainerEnv{"", 1, nullptr, false});
  trainer.add_callback(pruner);
  trainer.fit();
  EXPECT_TRUE(pruner->pi_frozen()) << pruner->summary().dump(2);
  EXPECT_TRUE(pruner->target_met()) << pruner->summary().dump(2);
  const Json s = pruner->summary();
  ASSERT_NE(s.find("budgets_met"), nullptr);
  EXPECT_EQ(s.find("budgets_met")->dump(), "true");
  EXPECT_GT(pruner->updates(), 0);
  EXPECT_GT(pruner->learning_rate(), 0.0);
  // pi shrank on some group and never grew above 1.
  const std::vector<double> pi = pruner->multipliers();
  EXPECT_LT(*std::min_element(pi.begin(), pi.end()), 1.0);
  EXPECT_LE(*std::max_element(pi.begin(), pi.end()), 1.0);
  // The compacted model is genuinely within the budgets, measured by the same resource model.
  GraphModule trained = trainer.model();
  CompactionResult c = compact(trained, pruner->masks());
  const ResourceReport after = ResourceModel(c.model->graph()).evaluate();
  EXPECT_LE(static_cast<double>(after.macs), macs);
  EXPECT_LE(static_cast<double>(after.peak_memory_bytes), pmu_kb * 1024.0);
}

TEST(DifferentiablePrunerTest, ResumeMidPruningRestoresPiAndMasks) {
  torch::set_num_threads(1);
  const auto dir = testing::make_temp_dir("dp_resume");
  const DataSplits data = testing::tiny_data();
  const double macs = 0.3 * static_cast<double>(full_resources(testing::tiny_model("resnet20", data, 0.5)).macs);
  const std::string yaml =
      "{method: differentiable, update_every: 2, lr: 3, final_phase: 0.2, budget: " + budget_yaml(macs) + "}";

  class Interrupter : public Callback {
   public:
    explicit Interrupter(int64_t at) : at_(at) {}
    std::string name() const override { return "interrupter"; }
    void on_after_optimizer_step(TrainContext& ctx) override {
      if (ctx.step == at_) request_interrupt();
    }

   private:
    int64_t at_;
  };
  auto run = [&](const std::string& run_dir, int64_t interrupt_at, bool resume) {
    GraphModule model = testing::tiny_model("resnet20", data, 0.5);
    TrainOptions o = testing::tiny_train(4);
    o.resume = resume;
    Trainer trainer(model, data, o, TrainerEnv{run_dir, 3, nullptr, false});
    auto p = make_dp(yaml);
    trainer.add_callback(p);
    trainer.add_callback(std::make_shared<Interrupter>(interrupt_at));
    TrainResult r = trainer.fit();
    clear_interrupt();
    return std::make_pair(p, r);
  };
  auto [full, full_r] = run(dir + "/full", 0, false);
  auto [cut, cut_r] = run(dir + "/cut", 9, false);  // mid-pruning: after 4 updates, before the freeze
  ASSERT_TRUE(cut_r.interrupted);
  EXPECT_FALSE(cut->pi_frozen());
  EXPECT_EQ(cut->updates(), 4);
  const std::vector<double> cut_pi = cut->multipliers();
  EXPECT_LT(*std::min_element(cut_pi.begin(), cut_pi.end()), 1.0);
  auto [resumed, resumed_r] = run(dir + "/cut", 0, true);
  EXPECT_TRUE(resumed_r.resumed);
  EXPECT_EQ(resumed->updates(), full->updates());
  EXPECT_EQ(resumed->multipliers(), full->multipliers());  // bit-exact continuation
  EXPECT_EQ(resumed->alpha_tsk(), full->alpha_tsk());
  ASSERT_EQ(resumed->masks().channel_masks().size(), full->masks().channel_masks().size());
  for (const auto& kv : full->masks().channel_masks())
    EXPECT_TRUE(resumed->masks().channel_mask(kv.first).equal(kv.second)) << kv.first;
  EXPECT_EQ(resumed_r.test.accuracy, full_r.test.accuracy);
}

TEST(DifferentiablePrunerTest, EarlyTerminationTrainsTheCompactedModel) {
  torch::set_num_threads(1);
  const DataSplits data = testing::tiny_data();
  GraphModule model = testing::tiny_model("resnet20", data, 0.5);
  const ResourceReport full = full_resources(model);
  auto pruner = make_dp("{method: differentiable, update_every: 2, lr: 8, early_termination: true, budget: " +
                        budget_yaml(0.6 * static_cast<double>(full.macs)) + "}");
  Trainer trainer(model, data, testing::tiny_train(4), TrainerEnv{"", 1, nullptr, false});
  trainer.add_callback(pruner);
  const TrainResult r = trainer.fit();
  ASSERT_TRUE(pruner->compacted()) << pruner->summary().dump(2);
  EXPECT_LT(trainer.model()->graph().param_count(), model->graph().param_count());
  EXPECT_TRUE(pruner->masks().channel_masks().empty());
  EXPECT_TRUE(pruner->target_met());
  EXPECT_EQ(r.steps, 24);
  const Json s = pruner->summary();
  const Json* et = s.find("early_termination");
  ASSERT_NE(et, nullptr);
  ASSERT_NE(et->find("steps_compacted"), nullptr);
  EXPECT_GT(et->find("steps_compacted")->as_double(), 0);
  EXPECT_GT(et->find("compute_saved_fraction")->as_double(), 0);
  EXPECT_LT(et->find("macs_compacted")->as_double(), et->find("macs_masked")->as_double());
}

TEST(DifferentiablePrunerTest, BadBudgetsGiveClearErrors) {
  auto expect_config_error = [](const std::string& yaml, const std::vector<std::string>& needles) {
    try {
      make_dp(yaml);
      ADD_FAILURE() << "no error for " << yaml;
    } catch (const ConfigError& e) {
      for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
    }
  };
  expect_config_error("{method: differentiable, budget: {macs: -5}}", {"<test>:", "prune.budget.macs", "> 0"});
  expect_config_error("{method: differentiable, budget: {peak_memory_kb: 0}}", {"prune.budget.peak_memory_kb"});
  expect_config_error("{method: differentiable}", {"prune.budget", "needs a budget"});
  expect_config_error("{method: differentiable, budget: {}}", {"prune.budget", "empty budget"});
  expect_config_error("{method: differentiable, budget: {macs: 1e6}, lr: fast}", {"prune.lr", "auto or a number"});
  expect_config_error("{method: differentiable, budget: {macs: 1e6}, lr: -1}", {"prune.lr"});
  expect_config_error("{method: differentiable, budget: {macs: 1e6}, pmu: approx}", {"prune.pmu", "exact"});
  expect_config_error("{method: differentiable, budget: {macs: 1e6}, scalarization: sum}", {"scalarisation"});

  // Unreachable even at one channel per prunable group: a ConfigError located at the budget, raised
  // when training starts, naming the resource.
  torch::set_num_threads(1);
  const DataSplits data = testing::tiny_data();
  GraphModule model = testing::tiny_model("resnet20", data, 0.5);
  auto pruner = make_dp("{method: differentiable, budget: {peak_memory_kb: 0.05, macs: 1e9}}");
  Trainer trainer(model, data, testing::tiny_train(1), TrainerEnv{"", 1, nullptr, false});
  trainer.add_callback(pruner);
  try {
    trainer.fit();
    FAIL() << "unreachable budget accepted";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("<test>:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("prune.budget"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unreachable"), std::string::npos) << msg;
    EXPECT_NE(msg.find("peak_memory"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("macs"), std::string::npos) << msg;  // only the violated resource
  }
}

TEST(DifferentiablePrunerTest, RegisteredExampleMeetsItsBudgetOnTheContractModel) {
  // The example section the pruner contract suite runs (resnet20 x0.5, 12x12 inputs, 18 steps).
  torch::set_num_threads(1);
  make_dp("{method: differentiable, budget: {macs: 1}}");  // registers
  const std::string example = PrunerRegistry::global().example("differentiable");
  const DataSplits data = testing::tiny_data();
  GraphModule model = testing::tiny_model("resnet20", data, 0.5);
  auto pruner = make_dp(example);
  Trainer trainer(model, data, testing::tiny_train(3), TrainerEnv{"", 1, nullptr, false});
  trainer.add_callback(pruner);
  trainer.fit();
  EXPECT_TRUE(pruner->target_met()) << pruner->summary().dump(2);
  EXPECT_FALSE(pruner->masks().channel_masks().empty());
}

TEST(DifferentiablePrunerTest, OverBudgetRunSaysSo) {
  // One update cannot shrink far enough: the summary says the budget was missed.
  torch::set_num_threads(1);
  const DataSplits data = testing::tiny_data();
  GraphModule model = testing::tiny_model("resnet20", data, 0.5);
  const ResourceReport full = full_resources(model);
  auto pruner = make_dp("{method: differentiable, update_every: 5, lr: 0.1, budget: " +
                        budget_yaml(0.3 * static_cast<double>(full.macs)) + "}");
  Trainer trainer(model, data, testing::tiny_train(1), TrainerEnv{"", 1, nullptr, false});
  trainer.add_callback(pruner);
  trainer.fit();
  EXPECT_FALSE(pruner->target_met());
  const Json s = pruner->summary();
  EXPECT_EQ(s.find("budgets_met")->dump(), "false");
  EXPECT_NE(s.find("message")->dump().find("over budget: macs"), std::string::npos) << s.dump();
}

}  // namespace
}  // namespace tinyprune
