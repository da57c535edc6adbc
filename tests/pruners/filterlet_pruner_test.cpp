#include "pruners/filterlet_pruner.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "core/error.h"
#include "export/exporter.h"
#include "pruners/compaction.h"
#include "schedulers/deployed_cost.h"
#include "tests/pruners/pruner_test_util.h"

namespace tinyprune {
namespace {

std::unique_ptr<Pruner> make(const std::string& yaml) {
  register_filterlet_pruner(PrunerRegistry::global());
  return testing::make_pruner(yaml);
}

void expect_config_error(const std::string& yaml, const std::string& needle) {
  try {
    make(yaml);
    ADD_FAILURE() << "no error for " << yaml;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(FilterletPrunerTest, OptionsAreValidatedWithTheKey) {
  expect_config_error("{method: filterlet}", "prune.budget");
  expect_config_error("{method: filterlet, budget: {model_size_kb: 8}, importance_bound: lots}", "prune.importance_bound");
  expect_config_error("{method: filterlet, budget: {model_size_kb: 8}, max_filter_fraction: 1.0}",
                      "prune.max_filter_fraction");
  expect_config_error("{method: filterlet, budget: {model_size_kb: 8}, schedule: {kind: one_shot, rounds: 3}}",
                      "prune.schedule.rounds");
  expect_config_error("{method: filterlet, budget: {model_size_kb: 8}, annealing: {temprature: reference}}",
                      "temprature");
  expect_config_error("{method: filterlet, budget: {model_size_kb: 8}, annealing: {t0: 0.01, t_end: 0.1}}",
                      "prune.annealing.t_end");
  expect_config_error("{method: filterlet, budget: {model_size_kb: 8}, latency_model: m7}", "m55_mve");
  expect_config_error("{method: filterlet, budget: {model_size_kb: 8}, importance: fisher}", "taylor");
  auto p = make("{method: filterlet, importance_bound: 0.5}");  // a bound alone is a valid target
  const auto& o = dynamic_cast<FilterletPruner&>(*p).options();
  EXPECT_DOUBLE_EQ(o.scheduler.importance_bound, 0.5);
  auto q = make("{method: filterlet, budget: {peak_memory_kb: 4}, importance_bound: auto, "
                "annealing: {temperatures: reference}}");
  EXPECT_TRUE(std::isnan(dynamic_cast<FilterletPruner&>(*q).options().scheduler.importance_bound));
  EXPECT_TRUE(dynamic_cast<FilterletPruner&>(*q).options().scheduler.reference_temperatures);
}

int64_t dense_flash(const Graph& g) {
  const ResourceModel rm(g);
  return deployed_cost(rm, rm.groups().original_widths(), {}, KernelCostModel::m55_mve()).flash_bytes;
}

// Weight + quantization bytes the exporter stores for `m`.
int64_t exported_flash(GraphModule& m, const DataSplits& data) {
  ExportOptions o;
  o.out = "";
  o.header = false;
  o.calibration_batches = 1;
  const ExportResult r = export_model(m, *data.train, o);
  int64_t bytes = 0;
  for (const LayerStorage& l : r.layers) bytes += l.weight_bytes + l.quant_bytes;
  return bytes;
}

TEST(FilterletPrunerTest, OneShotRunMeetsTheFlashBudgetAsTheExporterCountsIt) {
  torch::set_num_threads(1);
  const DataSplits data = testing::tiny_data();
  GraphModule model = testing::tiny_model("vgg11_dtmm", data, 0.25);
  const int64_t dense = dense_flash(model->graph());
  const double budget_kb = 0.45 * static_cast<double>(dense) / 1024.0;
  std::shared_ptr<Pruner> pruner = make(str_cat("{method: filterlet, budget: {model_size_kb: ", budget_kb,
                                                "}, finetune_epochs: 1, annealing: {max_iterations: 300}}"));
  Trainer trainer(model, data, testing::tiny_train(2), TrainerEnv{"", 1, nullptr, false});
  trainer.add_callback(pruner);
  const TrainResult tr = trainer.fit();
  GraphModule trained = trainer.model();
  EXPECT_TRUE(std::isfinite(tr.test.accuracy));

  EXPECT_TRUE(pruner->target_met()) << pruner->summary().dump(2);
  const Json s = pruner->summary();
  const int64_t achieved = static_cast<int64_t>(s.find("achieved")->find("flash_bytes")->as_double());
  EXPECT_LE(achieved, static_cast<int64_t>(budget_kb * 1024));
  EXPECT_EQ(s.find("rounds")->size(), 1u);
  EXPECT_GT(s.find("strategy")->size(), 0u);
  EXPECT_GT(s.find("achieved")->find("fwcs_layers")->as_double(), 0);
  EXPECT_FALSE(pruner->masks().filterlet_masks().empty());

  // Pruned filterlets are exactly zero after fine-tuning.
  for (const auto& [node, m] : pruner->masks().filterlet_masks())
    EXPECT_EQ((trained->weight(node) * (1 - m.unsqueeze(1))).count_nonzero().item<int64_t>(), 0);

  // Compacted and exported: the exporter stores what the scheduler predicted.
  CompactionResult c = compact(trained, pruner->masks());
  EXPECT_EQ(exported_flash(c.model, data), achieved);
}

TEST(FilterletPrunerTest, IterativeRoundsOnAResNetShareResidualMasksAndSurviveSaveLoad) {
  torch::set_num_threads(1);
  const DataSplits data = testing::tiny_data();
  GraphModule model = testing::tiny_model("resnet12", data, 0.25);
  const int64_t dense = dense_flash(model->graph());
  const double budget_kb = 0.4 * static_cast<double>(dense) / 1024.0;
  // The SRAM budget forces filter pruning of the tensors at the peak: the stem's residual group.
  const double sram_kb = 0.8 * static_cast<double>(ResourceModel(model->graph()).evaluate().peak_memory_bytes) / 1024.0;
  const std::string yaml = str_cat("{method: filterlet, budget: {model_size_kb: ", budget_kb, ", peak_memory_kb: ",
                                   sram_kb, "}, finetune_epochs: 1, schedule: {kind: iterative, rounds: 2, ramp: cubic}, "
                                   "importance_batches: 1, annealing: {max_iterations: 200}}");
  std::shared_ptr<Pruner> pruner = make(yaml);
  Trainer trainer(model, data, testing::tiny_train(3), TrainerEnv{"", 1, nullptr, false});
  trainer.add_callback(pruner);
  trainer.fit();
  GraphModule trained = trainer.model();
  EXPECT_TRUE(pruner->target_met()) << pruner->summary().dump(2);
  const Json s = pruner->summary();
  ASSERT_EQ(s.find("rounds")->size(), 2u);
  const Json& r1 = s.find("rounds")->elements()[0];
  const Json& r2 = s.find("rounds")->elements()[1];
  EXPECT_GT(r1.find("budget")->find("flash_bytes")->as_double(), r2.find("budget")->find("flash_bytes")->as_double());
  EXPECT_GE(r1.find("flash_bytes")->as_double(), r2.find("flash_bytes")->as_double());

  // The residual group (stem + every block's second conv of stage 1) is pruned with one mask.
  const Graph& g = trained->graph();
  const MaskSet& masks = pruner->masks();
  const int group = masks.groups().group_of(g.at("stem_conv"));
  ASSERT_EQ(group, masks.groups().group_of(g.at("layer1_0_conv2")));
  const torch::Tensor cm = masks.channel_mask(group);
  ASSERT_TRUE(cm.defined()) << "the residual group was not filter-pruned: " << s.dump(2);
  const int64_t kept = cm.sum().item<int64_t>();
  EXPECT_LT(kept, g.node(g.at("stem_conv")).out_channels);
  // Compaction removes the same channels from every member: both producers shrink to `kept`, and
  // the compacted network computes what the masked one does.
  CompactionResult c = compact(trained, masks);
  for (const char* n : {"stem_conv", "layer1_0_conv2"}) EXPECT_EQ(c.model->graph().node(g.at(n)).out_channels, kept) << n;
  const Batch b = data.test->get_unaugmented_batch({0, 1, 2, 3});
  trained->eval();
  c.model->eval();
  EXPECT_LE((c.model->forward(b.images) - trained->forward(b.images)).abs().max().item<double>(), 1e-5);

  // Checkpointed state: masks, rounds and the report come back.
  torch::serialize::OutputArchive ar;
  pruner->save_state(ar);
  std::stringstream ss;
  ar.save_to(ss);
  torch::serialize::InputArchive in;
  in.load_from(ss);
  std::shared_ptr<Pruner> again = make(yaml);
  again->load_state(in);
  TrainContext ctx;
  ctx.model = trained;
  ctx.data = &data;
  ctx.steps_per_epoch = 6;
  ctx.total_steps = 18;
  ctx.step = 18;
  again->on_train_begin(ctx);
  EXPECT_EQ(again->masks().kept_widths(), masks.kept_widths());
  EXPECT_EQ(again->summary().find("rounds")->size(), 2u);
  EXPECT_EQ(again->summary().find("achieved")->find("flash_bytes")->as_double(),
            s.find("achieved")->find("flash_bytes")->as_double());
  EXPECT_TRUE(again->target_met());
}

TEST(FilterletPrunerTest, InfeasibleBudgetStopsWithAClearError) {
  torch::set_num_threads(1);
  const DataSplits data = testing::tiny_data();
  GraphModule model = testing::tiny_model("vgg11_dtmm", data, 0.25);
  std::shared_ptr<Pruner> pruner = make("{method: filterlet, budget: {model_size_kb: 0.5}, prune_epoch: 0}");
  Trainer trainer(model, data, testing::tiny_train(1), TrainerEnv{"", 1, nullptr, false});
  trainer.add_callback(pruner);
  try {
    trainer.fit();
    FAIL() << "expected InfeasibleBudgetError";
  } catch (const InfeasibleBudgetError& e) {
    EXPECT_NE(std::string(e.what()).find("infeasible budget"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tinyprune
