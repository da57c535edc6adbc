// End to end through run_experiment: a `prune` section trains, prunes, compacts and reports;
// model.init_from starts from a trained run; `tinyprune analyze RUN_DIR` sees the compacted model.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "core/experiment.h"
#include "core/resources/resource_model.h"
#include "core/run.h"
#include "core/train/checkpoint.h"
#include "core/train/interrupt.h"
#include "tests/pruners/pruner_test_util.h"
#include "pruners/registry.h"
#include "tests/test_util.h"

namespace tinyprune {
namespace {

const char* kBase = R"(name: prune_run
seed: 2
threads: 1
data: {name: synthetic, synthetic_train: 320, synthetic_test: 96, synthetic_size: 12, synthetic_classes: 4, val_fraction: 0.2}
train: {epochs: 2, batch_size: 32, lr: 0.05, workers: 0}
)";

ExperimentConfig config(const std::string& dir, const std::string& extra) {
  register_builtin_pruners();
  install_pruning();
  const std::string path = dir + "/exp.yaml";
  testing::write_text(path, std::string(kBase) + extra);
  return ExperimentConfig::load(path);
}

YAML::Node run(const std::string& dir, const std::string& extra, const std::string& out) {
  RunOptions ro;
  ro.out_dir = dir + "/" + out;
  ro.show_progress = false;
  run_experiment(config(dir, extra), ro);
  return YAML::LoadFile(ro.out_dir + "/summary.json");
}

TEST(PruneRunTest, L1FilterToABudgetFromATrainedModelCompactsAndReports) {
  const std::string dir = testing::make_temp_dir("prune_run");
  const YAML::Node dense = run(dir, "model: {name: resnet20, width: 0.5}\n", "dense");
  const double dense_size = dense["model_size_bytes"].as<double>();
  const double kb = 0.5 * dense_size / 1024.0;
  const YAML::Node s = run(dir,
                           "model: {name: resnet20, width: 0.5, init_from: " + dir +
                               "/dense}\nprune: {method: l1_filter, prune_epoch: 0, budget: {model_size_kb: " +
                               std::to_string(kb) + "}}\n",
                           "pruned");
  const YAML::Node p = s["prune"];
  ASSERT_TRUE(p) << "summary has no prune section";
  EXPECT_EQ(p["method"].as<std::string>(), "l1_filter");
  EXPECT_TRUE(p["target_met"].as<bool>());
  EXPECT_LE(p["compaction_max_abs_diff"].as<double>(), 1e-4);
  // Accuracy before = the trained dense model's accuracy (init_from), measured before pruning.
  EXPECT_NEAR(p["accuracy_before"].as<double>(), dense["test_accuracy"].as<double>(), 1e-9);
  EXPECT_EQ(p["resources_before"]["model_size_bytes"].as<double>(), dense_size);
  EXPECT_LE(p["resources_after"]["model_size_bytes"].as<double>(), kb * 1024.0);
  EXPECT_TRUE(p["budget"]["model_size_bytes"]["met"].as<bool>());
  EXPECT_NEAR(p["accuracy_after"].as<double>(), s["test_accuracy"].as<double>(), 1e-9);
  EXPECT_TRUE(p["sparsity"]["layers"].IsMap());
  // model.pt holds the compacted model; its resources are the summary's.
  GraphModule m = load_model(dir + "/pruned/model.pt");
  EXPECT_EQ(ResourceModel(m->graph()).evaluate().model_size_bytes, p["resources_after"]["model_size_bytes"].as<int64_t>());
  EXPECT_EQ(s["model_size_bytes"].as<int64_t>(), p["resources_after"]["model_size_bytes"].as<int64_t>());
  // `tinyprune analyze RUN_DIR` reports the compacted model.
  const std::string out = dir + "/analyze.json";
  const std::string cmd = std::string(TINYPRUNE_BINARY_DIR) + "/tinyprune analyze " + dir + "/pruned --json > " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(YAML::LoadFile(out)["model_size_bytes"].as<int64_t>(), s["model_size_bytes"].as<int64_t>());
}

// Interrupt mid-pruning, resume: the masks come back from the checkpoint and the run ends exactly
// where an uninterrupted one does.
class InterruptAt : public Callback {
 public:
  explicit InterruptAt(int64_t step) : step_(step) {}
  std::string name() const override { return "interrupt_at"; }
  void on_after_optimizer_step(TrainContext& ctx) override {
    if (step_ > 0 && ctx.step == step_) request_interrupt();
  }

 private:
  int64_t step_;
};

TEST(PruneRunTest, InterruptedPruningResumesWithItsMasks) {
  torch::set_num_threads(1);
  const std::string dir = testing::make_temp_dir("prune_resume");
  const std::string section = "{method: magnitude, sparsity: 0.8, schedule: {kind: cubic, begin_step: 0, end_step: 12, every: 2}}";
  auto train = [&](const std::string& run_dir, int64_t interrupt_at, bool resume) {
    const DataSplits data = testing::tiny_data(200, 32);
    GraphModule model = testing::tiny_model("resnet20", data, 0.5);
    TrainOptions o = testing::tiny_train(3);
    o.resume = resume;
    Trainer t(model, data, o, TrainerEnv{run_dir, 1, nullptr, false});
    std::shared_ptr<Pruner> p = testing::make_pruner(section);
    t.add_callback(p);
    t.add_callback(std::make_shared<InterruptAt>(interrupt_at));
    clear_interrupt();
    const TrainResult r = t.fit();
    clear_interrupt();
    return std::make_pair(r, p);
  };
  auto [full, full_p] = train(dir + "/full", 0, false);
  auto [cut, cut_p] = train(dir + "/cut", 7, false);
  ASSERT_TRUE(cut.interrupted);
  const auto widths_at_cut = cut_p->masks().masked_nodes();
  auto [resumed, resumed_p] = train(dir + "/cut", 0, true);
  EXPECT_TRUE(resumed.resumed);
  EXPECT_EQ(resumed_p->masks().masked_nodes(), full_p->masks().masked_nodes());
  for (int node : full_p->masks().masked_nodes())
    EXPECT_TRUE(resumed_p->masks().weight_mask(node).equal(full_p->masks().weight_mask(node))) << node;
  EXPECT_EQ(resumed.test.accuracy, full.test.accuracy);
  EXPECT_EQ(resumed.final_train_loss, full.final_train_loss);
}

TEST(PruneRunTest, BadSectionsFailAtLoadWithTheLocation) {
  const std::string dir = testing::make_temp_dir("prune_bad");
  try {
    config(dir, "model: {name: resnet20, width: 0.5}\nprune: {method: l1_filter, ratio: 2}\n");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("exp.yaml:7"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("prune.ratio"), std::string::npos) << e.what();
  }
  EXPECT_THROW(config(dir, "model: {name: resnet20, width: 0.5, init_from: /nonexistent/run}\n"), ConfigError);
}

TEST(PruneRunTest, RunConfigsOfUnregisteredPrunersStillLoadForExport) {
  // A run made by a user's pruner: `tinyprune export/eval` do not know the method, and need not.
  const std::string dir = testing::make_temp_dir("prune_foreign");
  EXPECT_THROW(config(dir, "model: {name: resnet20}\nprune: {method: someone_elses, knob: 3}\n"), ConfigError);
  const ExperimentConfig c = ExperimentConfig::load_run(dir + "/exp.yaml");
  EXPECT_EQ(c.prune["method"].as<std::string>(), "someone_elses");
  EXPECT_EQ(c.model.name, "resnet20");
}

}  // namespace
}  // namespace tinyprune
