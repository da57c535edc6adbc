// `imp`: OpenLTH prune counting (n + 1 and ties, exact-count option), rewinding to the exact
// step-k state, masks through training, resume mid-level, per-model default exclusions and the
// per-level structural conversion / portfolio.
#include "pruners/imp_pruner.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/train/interrupt.h"
#include "tests/pruners/pruner_test_util.h"
#include "tests/test_util.h"

namespace tinyprune {
namespace {

std::shared_ptr<ImpPruner> make_imp(const std::string& yaml) {
  std::shared_ptr<Pruner> p = testing::make_pruner(yaml);
  auto imp = std::dynamic_pointer_cast<ImpPruner>(p);
  EXPECT_NE(imp, nullptr);
  return imp;
}

TrainOptions steps(int64_t max_steps) {
  TrainOptions o = testing::tiny_train(1);
  o.max_steps = max_steps;
  return o;
}

int64_t alive(const torch::Tensor& m) { return m.sum().item<int64_t>(); }

TEST(ImpPrunerTest, PruneCountUsesNumpysFloat64Ceil) {
  EXPECT_EQ(imp_prune_count(1000, 0.2), 200);
  EXPECT_EQ(imp_prune_count(5, 0.2), 1);
  EXPECT_EQ(imp_prune_count(7, 0.2), 2);      // 1.4 -> 2
  EXPECT_EQ(imp_prune_count(100, 0.07), 8);   // 0.07 * 100 == 7.000000000000001 in float64
  // OpenLTH removes n + 1 per level: 1000 -> 799 -> 638 (n = 160) -> 509 (n = 128).
  EXPECT_EQ(imp_expected_alive(1000, 0.2, 1, false), 799);
  EXPECT_EQ(imp_expected_alive(1000, 0.2, 3, false), 509);
  EXPECT_EQ(imp_expected_alive(1000, 0.2, 3, true), 512);
  // Density ~ 0.8^l of the prunable weights (algorithms.md 4.3; ResNet-20: 270,896 prunable).
  for (int64_t l : {3, 10, 20})
    EXPECT_NEAR(static_cast<double>(imp_expected_alive(270896, 0.2, l, false)) / 270896.0, std::pow(0.8, l), 2e-4) << l;
  EXPECT_THROW(imp_expected_alive(3, 0.5, 2, false), Error);  // 3 -> 0, then nothing left to prune
}

TEST(ImpPrunerTest, GlobalPruneRemovesTheNthOrderStatisticAndItsTies) {
  const torch::Tensor w1 = torch::tensor({0.1f, -0.5f, 0.3f, 0.9f});
  const torch::Tensor w2 = torch::tensor({0.2f, -0.3f, 0.7f, 0.05f}).view({2, 2});
  // R = 8, n = ceil(1.6) = 2, thr = sorted|v|[2] = 0.2: 0.05, 0.1, 0.2 go (n + 1).
  auto m = imp_global_prune({w1, w2}, {torch::Tensor(), torch::Tensor()}, 0.2, false);
  EXPECT_TRUE(m[0].equal(torch::tensor({0.f, 1.f, 1.f, 1.f})));
  EXPECT_TRUE(m[1].equal(torch::tensor({0.f, 1.f, 1.f, 0.f}).view({2, 2})));
  // exact_count: exactly n = 2.
  m = imp_global_prune({w1, w2}, {torch::Tensor(), torch::Tensor()}, 0.2, true);
  EXPECT_EQ(alive(m[0]) + alive(m[1]), 6);
  EXPECT_EQ(m[1][1][1].item<float>(), 0.f);
  EXPECT_EQ(m[0][0].item<float>(), 0.f);
  // n = ceil(2.4) = 3, thr = 0.3 and |-0.3| ties: 5 go; exact_count: 3.
  m = imp_global_prune({w1, w2}, {torch::Tensor(), torch::Tensor()}, 0.3, false);
  EXPECT_EQ(alive(m[0]) + alive(m[1]), 3);
  EXPECT_EQ(m[0][2].item<float>(), 0.f);
  EXPECT_EQ(m[1][0][1].item<float>(), 0.f);
  m = imp_global_prune({w1, w2}, {torch::Tensor(), torch::Tensor()}, 0.3, true);
  EXPECT_EQ(alive(m[0]) + alive(m[1]), 5);
  // Only alive weights compete; a masked weight stays masked whatever its magnitude.
  const torch::Tensor mask1 = torch::tensor({1.f, 1.f, 1.f, 0.f});
  m = imp_global_prune({w1, w2}, {mask1, torch::ones({2, 2})}, 0.2, false);  // R = 7, n = 2, thr = 0.2
  EXPECT_TRUE(m[0].equal(torch::tensor({0.f, 1.f, 1.f, 0.f})));
  EXPECT_THROW(imp_global_prune({w1}, {torch::Tensor()}, 1.0, false), Error);
  EXPECT_THROW(imp_global_prune({w1}, {torch::tensor({0.f, 0.f, 0.f, 1.f})}, 0.5, false), Error);  // n = 1 of 1
}

TEST(ImpPrunerTest, LevelsFollowTheScheduleOnRandomWeights) {
  torch::manual_seed(3);
  const std::vector<torch::Tensor> w{torch::randn({64, 8, 3, 3}), torch::randn({10, 64})};
  for (bool exact : {false, true}) {
    std::vector<torch::Tensor> m{torch::ones({64, 8, 3, 3}), torch::ones({10, 64})};
    const int64_t total = 64 * 8 * 9 + 640;
    for (int64_t level = 1; level <= 10; ++level) {
      m = imp_global_prune(w, m, 0.2, exact);
      EXPECT_EQ(alive(m[0]) + alive(m[1]), imp_expected_alive(total, 0.2, level, exact)) << level << " " << exact;
    }
  }
}

// Compares the model state right after a rewind with a snapshot taken at step k of level 0, and
// checks at every step that pruned weights are exactly zero.
class RewindProbe : public Callback {
 public:
  RewindProbe(int64_t k, const ImpPruner* pruner) : k_(k), pruner_(pruner) {}
  std::string name() const override { return "rewind_probe"; }

  void on_step_begin(TrainContext& ctx) override {
    if (ctx.step < last_step_) check_rewound(ctx);
  }
  void on_after_optimizer_step(TrainContext& ctx) override {
    if (ctx.step == k_ && snapshot_.empty()) {
      for (const auto& kv : ctx.model->named_parameters(true)) snapshot_[kv.key()] = kv.value().detach().clone();
      for (const auto& kv : ctx.model->named_buffers(true)) snapshot_[kv.key()] = kv.value().detach().clone();
    }
    for (int node : pruner_->masks().masked_nodes()) {
      const torch::Tensor m = pruner_->masks().effective_weight_mask(node);
      if ((ctx.model->weight(node) * (1 - m)).count_nonzero().item<int64_t>() != 0) ++mask_violations;
      ++mask_checks;
    }
    last_step_ = ctx.step;
  }

  int rewinds = 0;
  int64_t mask_checks = 0, mask_violations = 0;
  std::map<std::string, torch::Tensor> snapshot_;

 private:
  void check_rewound(TrainContext& ctx) {
    ++rewinds;
    EXPECT_EQ(ctx.step, k_);
    ASSERT_FALSE(snapshot_.empty());
    const Graph& g = ctx.model->graph();
    std::map<std::string, torch::Tensor> masks;
    for (int node : pruner_->masks().masked_nodes())
      masks[g.node(node).name + ".weight"] = pruner_->masks().effective_weight_mask(node);
    int64_t compared = 0;
    for (const auto& kv : ctx.model->named_parameters(true)) {
      auto m = masks.find(kv.key());
      const torch::Tensor expect = m == masks.end() ? snapshot_.at(kv.key()) : snapshot_.at(kv.key()) * m->second;
      EXPECT_TRUE(kv.value().equal(expect)) << kv.key();
      ++compared;
    }
    for (const auto& kv : ctx.model->named_buffers(true)) {
      EXPECT_TRUE(kv.value().equal(snapshot_.at(kv.key()))) << kv.key();  // BN running stats too
      ++compared;
    }
    EXPECT_EQ(compared, static_cast<int64_t>(snapshot_.size()));
  }

  int64_t k_;
  const ImpPruner* pruner_;
  int64_t last_step_ = 0;
};

TEST(ImpPrunerTest, RewindRestoresTheExactStepKStateAndMasksStayApplied) {
  torch::set_num_threads(1);
  const DataSplits data = testing::tiny_data();
  GraphModule model = testing::tiny_model("vgg16", data);
  auto imp = make_imp("{method: imp, levels: 2, fraction: 0.3, rewind_step: 3, structural: off, portfolio: false}");
  Trainer trainer(model, data, steps(8), TrainerEnv{"", 1, nullptr, false});
  trainer.add_callback(imp);
  auto probe = std::make_shared<RewindProbe>(3, imp.get());
  trainer.add_callback(probe);
  const TrainResult r = trainer.fit();
  EXPECT_EQ(r.steps, 8);
  EXPECT_EQ(probe->rewinds, 2);
  EXPECT_GT(probe->mask_checks, 0);
  EXPECT_EQ(probe->mask_violations, 0);
  // The stored W_k is the step-3 state, every tensor.
  ASSERT_EQ(imp->rewind_state().size(), probe->snapshot_.size());
  for (const auto& kv : imp->rewind_state()) EXPECT_TRUE(kv.second.equal(probe->snapshot_.at(kv.first))) << kv.first;
  EXPECT_TRUE(imp->target_met());
  ASSERT_EQ(imp->level_records().size(), 3u);
  // Per-level density follows the OpenLTH schedule; the classifier (VGG default) stays dense.
  const Graph& g = trainer.model()->graph();
  EXPECT_FALSE(imp->masks().weight_mask(g.at("classifier")).defined());
  int64_t prunable = 0;
  for (int id : imp->prunable()) prunable += trainer.model()->weight(id).numel();
  for (int64_t l = 0; l < 3; ++l) {
    const YAML::Node rec = YAML::Load(imp->level_records()[static_cast<size_t>(l)].dump());
    EXPECT_EQ(rec["level"].as<int64_t>(), l);
    EXPECT_EQ(rec["remaining_weights"].as<int64_t>(), imp_expected_alive(prunable, 0.3, l, false)) << l;
    EXPECT_GE(rec["test_accuracy"].as<double>(), 0.0);
  }
  // The final model is the last level's sparse model: pruned weights exactly zero.
  for (int node : imp->masks().masked_nodes())
    EXPECT_EQ((trainer.model()->weight(node) * (1 - imp->masks().weight_mask(node))).count_nonzero().item<int64_t>(), 0);
}

// Interrupts at the n-th optimizer step of the whole run (steps repeat across levels).
class InterruptAfterCalls : public Callback {
 public:
  explicit InterruptAfterCalls(int64_t calls) : calls_(calls) {}
  std::string name() const override { return "interrupt_after_calls"; }
  void on_after_optimizer_step(TrainContext&) override {
    if (++seen_ == calls_) request_interrupt();
  }

 private:
  int64_t calls_, seen_ = 0;
};

// "kind:step[:imp_level]" of every record in RUN_DIR/metrics.jsonl, in order (timings differ
// between runs; the sequence of records must not).
std::vector<std::string> metric_keys(const std::string& run_dir) {
  std::vector<std::string> keys;
  std::istringstream in(read_file(run_dir + "/metrics.jsonl"));
  for (std::string line; std::getline(in, line);) {
    const YAML::Node r = YAML::Load(line);
    std::string k = r["kind"].as<std::string>() + ":" + r["step"].as<std::string>();
    if (r["imp_level"]) k += ":" + r["imp_level"].as<std::string>();
    keys.push_back(k);
  }
  return keys;
}

TEST(ImpPrunerTest, RunKilledMidLevelResumesInThatLevel) {
  torch::set_num_threads(1);
  const std::string dir = testing::make_temp_dir("imp_resume");
  const std::string section = "{method: imp, levels: 2, fraction: 0.4, rewind_step: 2, structural: exact}";
  auto train = [&](const std::string& run_dir, int64_t interrupt_after, bool resume) {
    const DataSplits data = testing::tiny_data(200, 32);
    GraphModule model = testing::tiny_model("resnet20", data, 0.5);
    TrainOptions o = steps(10);
    o.resume = resume;
    Trainer t(model, data, o, TrainerEnv{run_dir, 1, nullptr, false});
    auto p = make_imp(section);
    t.add_callback(p);
    t.add_callback(std::make_shared<InterruptAfterCalls>(interrupt_after));
    clear_interrupt();
    const TrainResult r = t.fit();
    clear_interrupt();
    return std::make_pair(r, p);
  };
  auto [full, full_p] = train(dir + "/full", 0, false);
  // Level 0 = 10 steps, level 1 = steps 2..10; the 15th step is step 7 of level 1.
  auto [cut, cut_p] = train(dir + "/cut", 15, false);
  ASSERT_TRUE(cut.interrupted);
  EXPECT_EQ(cut_p->level(), 1);
  EXPECT_EQ(cut_p->level_records().size(), 1u);
  auto [resumed, resumed_p] = train(dir + "/cut", 0, true);
  EXPECT_TRUE(resumed.resumed);
  EXPECT_TRUE(resumed_p->target_met());
  ASSERT_EQ(resumed_p->level_records().size(), full_p->level_records().size());
  for (size_t l = 0; l < full_p->level_records().size(); ++l) {
    const YAML::Node a = YAML::Load(full_p->level_records()[l].dump());
    const YAML::Node b = YAML::Load(resumed_p->level_records()[l].dump());
    EXPECT_EQ(a["test_accuracy"].as<double>(), b["test_accuracy"].as<double>()) << l;
    EXPECT_EQ(a["remaining_weights"].as<int64_t>(), b["remaining_weights"].as<int64_t>()) << l;
    EXPECT_EQ(a["exact_params"].as<int64_t>(), b["exact_params"].as<int64_t>()) << l;
  }
  ASSERT_EQ(resumed_p->variants().size(), 3u);
  EXPECT_EQ(resumed_p->masks().masked_nodes(), full_p->masks().masked_nodes());
  for (int node : full_p->masks().masked_nodes())
    EXPECT_TRUE(resumed_p->masks().weight_mask(node).equal(full_p->masks().weight_mask(node))) << node;
  EXPECT_EQ(resumed.test.accuracy, full.test.accuracy);
  EXPECT_EQ(resumed.final_train_loss, full.final_train_loss);
  // The metric stream survives the resume although step numbers repeat across levels: the same
  // records as the uninterrupted run, every level's imp_ record included.
  EXPECT_EQ(metric_keys(dir + "/cut"), metric_keys(dir + "/full"));

  // Ctrl-C at the last step of level 0 (the 10th step): the trainer performs the rewind first,
  // stops in level 1 at step 2, and the resumed run equals the uninterrupted one.
  auto [edge, edge_p] = train(dir + "/edge", 10, false);
  ASSERT_TRUE(edge.interrupted);
  EXPECT_EQ(edge_p->level(), 1);
  EXPECT_EQ(edge.steps, 2);
  auto [edge_resumed, edge_resumed_p] = train(dir + "/edge", 0, true);
  EXPECT_TRUE(edge_resumed.resumed);
  ASSERT_EQ(edge_resumed_p->level_records().size(), full_p->level_records().size());
  EXPECT_EQ(edge_resumed.test.accuracy, full.test.accuracy);
  EXPECT_EQ(edge_resumed.final_train_loss, full.final_train_loss);
  EXPECT_EQ(metric_keys(dir + "/edge"), metric_keys(dir + "/full"));
}

// Level-end conversion on VGG (chain) and ResNet (residual groups): the portfolio variant is the
// converted model, it computes what the sparse model computes up to the reported difference, and
// never has more parameters.
TEST(ImpPrunerTest, LevelEndConversionAndPortfolioOnVggAndResnet) {
  torch::set_num_threads(1);
  for (const std::string name : {"vgg16", "resnet20"}) {
    const DataSplits data = testing::tiny_data();
    GraphModule model = testing::tiny_model(name, data, 0.25);
    auto imp = make_imp("{method: imp, levels: 2, fraction: 0.9, structural: exact, compare_modes: true, "
                        "latency_batch: 4, latency_reps: 2}");
    Trainer trainer(model, data, steps(6), TrainerEnv{"", 1, nullptr, false});
    trainer.add_callback(imp);
    trainer.fit();
    ASSERT_EQ(imp->variants().size(), 3u) << name;
    ASSERT_EQ(imp->level_records().size(), 3u) << name;
    const Graph& g = trainer.model()->graph();
    // Default exclusions: VGG keeps its classifier dense, ResNet-20 prunes it.
    EXPECT_EQ(imp->masks().weight_mask(g.at("classifier")).defined(), name == "resnet20") << name;
    for (size_t l = 0; l < 3; ++l) {
      const YAML::Node rec = YAML::Load(imp->level_records()[l].dump());
      EXPECT_LE(rec["exact_params"].as<int64_t>(), rec["params"].as<int64_t>()) << name << l;
      EXPECT_EQ(rec["legacy_params"].as<int64_t>() <= rec["exact_params"].as<int64_t>(), true) << name << l;
      EXPECT_TRUE(std::isfinite(rec["exact_max_abs_diff"].as<double>())) << name << l;
      EXPECT_GT(rec["sparse_latency_ms"].as<double>(), 0.0);
      const YAML::Node meta = YAML::Load(imp->variants()[l].meta.dump());
      EXPECT_EQ(meta["level"].as<int64_t>(), static_cast<int64_t>(l));
      EXPECT_EQ(meta["params"].as<int64_t>(), rec["exact_params"].as<int64_t>());
    }
    // At 1 % density whole filters are zero: the conversion removes channels.
    EXPECT_LT(YAML::Load(imp->level_records().back().dump())["exact_params"].as<int64_t>(),
              YAML::Load(imp->level_records().back().dump())["params"].as<int64_t>()) << name;
    // The last variant is the converted model whose difference was reported: on the calibration
    // batch (first 64 training images) it differs from the final sparse model by exactly that.
    torch::NoGradGuard no_grad;
    GraphModule sparse = trainer.model();
    sparse->eval();
    GraphModule variant = imp->variants().back().model;
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < 64; ++i) idx.push_back(i);
    const torch::Tensor x = data.train->get_unaugmented_batch(idx).images;
    const double diff = (variant->forward(x) - sparse->forward(x)).abs().max().item<double>();
    const YAML::Node last = YAML::Load(imp->level_records().back().dump());
    EXPECT_NEAR(diff, last["exact_max_abs_diff"].as<double>(), 1e-6) << name;
    std::printf("[ imp ] %s level 2: params %lld -> exact %lld / legacy %lld, max |diff| exact %.3g legacy %.3g\n",
                name.c_str(), static_cast<long long>(last["params"].as<int64_t>()),
                static_cast<long long>(last["exact_params"].as<int64_t>()),
                static_cast<long long>(last["legacy_params"].as<int64_t>()), last["exact_max_abs_diff"].as<double>(),
                last["legacy_max_abs_diff"].as<double>());
  }
}

// The control trains a freshly initialised copy with the level's masks in a separate trainer; it
// must not disturb the main run (RNG, model, masks).
TEST(ImpPrunerTest, RandomReinitControlLeavesTheMainRunUnchanged) {
  torch::set_num_threads(1);
  auto run = [](bool control) {
    const DataSplits data = testing::tiny_data();
    GraphModule model = testing::tiny_model("resnet20", data, 0.25);
    auto imp = make_imp(std::string("{method: imp, levels: 1, fraction: 0.5, rewind_step: 1, structural: off, "
                                    "random_reinit_control: ") + (control ? "true}" : "false}"));
    Trainer trainer(model, data, steps(5), TrainerEnv{"", 1, nullptr, false});
    trainer.add_callback(imp);
    const TrainResult r = trainer.fit();
    return std::make_pair(r, imp);
  };
  auto [with, with_p] = run(true);
  auto [without, without_p] = run(false);
  EXPECT_EQ(with.final_train_loss, without.final_train_loss);
  EXPECT_EQ(with.test.accuracy, without.test.accuracy);
  ASSERT_EQ(with_p->level_records().size(), 2u);
  for (size_t l = 0; l < 2; ++l) {
    const YAML::Node rec = YAML::Load(with_p->level_records()[l].dump());
    ASSERT_TRUE(rec["control_accuracy"]) << l;
    EXPECT_GE(rec["control_accuracy"].as<double>(), 0.0);
    EXPECT_LE(rec["control_accuracy"].as<double>(), 1.0);
    EXPECT_FALSE(YAML::Load(without_p->level_records()[l].dump())["control_accuracy"]);
  }
}

TEST(ImpPrunerTest, BadOptionsAreReported) {
  EXPECT_THROW(testing::make_pruner("{method: imp, fraction: 1.0}"), ConfigError);
  EXPECT_THROW(testing::make_pruner("{method: imp, levels: 0}"), ConfigError);
  EXPECT_THROW(testing::make_pruner("{method: imp, structural: lossless}"), ConfigError);
  EXPECT_THROW(testing::make_pruner("{method: imp, structural: off, compare_modes: true}"), ConfigError);
  const DataSplits data = testing::tiny_data();
  GraphModule model = testing::tiny_model("resnet20", data, 0.25);
  Trainer trainer(model, data, steps(4), TrainerEnv{"", 1, nullptr, false});
  trainer.add_callback(make_imp("{method: imp, rewind_step: 4}"));
  try {
    trainer.fit();
    FAIL() << "rewind_step == total steps accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("prune.rewind_step"), std::string::npos) << e.what();
  }
  Trainer t2(testing::tiny_model("resnet20", data, 0.25), data, steps(4), TrainerEnv{"", 1, nullptr, false});
  t2.add_callback(make_imp("{method: imp, exclude: [no_such_layer]}"));
  EXPECT_THROW(t2.fit(), Error);
}

}  // namespace
}  // namespace tinyprune
