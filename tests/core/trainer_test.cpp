#include "core/train/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/error.h"
#include "core/graph_module.h"
#include "core/train/checkpoint.h"
#include "core/train/interrupt.h"
#include "core/train/malloc_tuning.h"
#include "datasets/data_options.h"
#include "datasets/dataset.h"
#include "datasets/registry.h"
#include "tests/test_util.h"

namespace tinyprune {
namespace {

Graph tiny_cnn(TensorShape in, int64_t classes) {
  Graph g;
  int x = g.input(in.c, in.h, in.w);
  x = g.relu(g.batch_norm(g.conv2d(x, 8, 3, 1, 1)));
  x = g.max_pool(x, 2, 2);
  x = g.relu(g.batch_norm(g.conv2d(x, 16, 3, 1, 1)));
  x = g.dropout(g.flatten(g.global_avg_pool(x)), 0.1);
  g.linear(x, classes);
  return g;
}

DataSplits synthetic(int64_t n_train, int64_t n_test, double val_fraction = 0.0) {
  DataOptions o;
  o.name = "synthetic";
  o.synthetic_train = n_train;
  o.synthetic_test = n_test;
  o.synthetic_classes = 4;
  o.synthetic_channels = 1;
  o.synthetic_size = 8;
  o.val_fraction = val_fraction;
  return DatasetRegistry::global().create(o, /*seed=*/3);
}

// Records the loss of every step.
class LossRecorder : public Callback {
 public:
  std::string name() const override { return "loss_recorder"; }
  void on_after_optimizer_step(TrainContext& ctx) override {
    losses.push_back(ctx.loss.item<double>());
    if (interrupt_at > 0 && ctx.step == interrupt_at) request_interrupt();
  }
  std::vector<double> losses;
  int64_t interrupt_at = 0;
};

TEST(TrainerTest, OverfitsATinySyntheticSet) {
  torch::set_num_threads(1);
  torch::manual_seed(0);
  DataSplits data = synthetic(32, 32);
  GraphModule model(tiny_cnn(data.train->sample_shape(), data.train->num_classes()));
  TrainOptions o;
  o.batch_size = 32;
  o.max_steps = 150;
  o.workers = 0;
  o.augment = false;
  o.optimizer.name = "adam";
  o.optimizer.lr = 0.01;
  o.optimizer.weight_decay = 0.0;
  o.schedule.name = "constant";
  Trainer trainer(model, data, o, TrainerEnv{"", 0, nullptr, false});
  auto rec = std::make_shared<LossRecorder>();
  trainer.add_callback(rec);
  TrainResult r = trainer.fit();
  ASSERT_EQ(r.steps, 150);
  EXPECT_GT(rec->losses.front(), 1.0);
  EXPECT_LT(r.final_train_loss, 0.05);
  EXPECT_GT(r.test.count, 0);
}

// The layout is a speed choice only: both formats train the same model (float summation order
// aside), and the model leaves fit() contiguous for export and saving.
TEST(TrainerTest, ChannelsLastAndContiguousTrainTheSameModel) {
  torch::set_num_threads(1);
  DataSplits data = synthetic(64, 32);
  std::vector<std::vector<double>> losses;
  std::vector<GraphModule> models;
  for (const char* fmt : {"channels_last", "contiguous"}) {
    torch::manual_seed(0);
    GraphModule model(tiny_cnn(data.train->sample_shape(), data.train->num_classes()));
    const torch::Tensor before = model->weight(1).clone();
    TrainOptions o;
    o.batch_size = 16;
    o.max_steps = 8;
    o.workers = 0;
    o.augment = false;
    o.memory_format = fmt;
    Trainer trainer(model, data, o, TrainerEnv{"", 0, nullptr, false});
    auto rec = std::make_shared<LossRecorder>();
    trainer.add_callback(rec);
    trainer.fit();
    GraphModule trained = trainer.model();
    EXPECT_EQ(trained->memory_format(), c10::MemoryFormat::Contiguous) << fmt;
    EXPECT_TRUE(trained->weight(1).is_contiguous()) << fmt;
    EXPECT_GT((trained->weight(1) - before).abs().max().item<double>(), 1e-3) << fmt << ": weights not trained";
    losses.push_back(rec->losses);
    models.push_back(trained);
  }
  ASSERT_EQ(losses[0].size(), 8u);
  for (size_t i = 0; i < losses[0].size(); ++i) EXPECT_NEAR(losses[0][i], losses[1][i], 1e-4 * (1 + losses[1][i])) << i;
  EXPECT_TRUE(torch::allclose(models[0]->weight(1), models[1]->weight(1), 1e-3, 1e-5));
}

TEST(TrainerTest, MallocTuningAppliesOnceOnGlibcUnlessTheUserTunedIt) {
  const bool first = tune_malloc_for_training();
  EXPECT_EQ(tune_malloc_for_training(), first);  // once per process
#if defined(__GLIBC__)
  const bool user_tuned = std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") ||
                          std::getenv("GLIBC_TUNABLES") || std::getenv("TINYPRUNE_MALLOC");
  if (!user_tuned) EXPECT_TRUE(first);
#else
  EXPECT_FALSE(first);
#endif
}

TEST(TrainerTest, ResumeAfterInterruptReproducesTheNextLossesExactly) {
  torch::set_num_threads(1);
  const auto dir = testing::make_temp_dir("resume");
  TrainOptions o;
  o.batch_size = 16;
  o.epochs = 3;
  o.workers = 2;  // worker threads must not change the batches
  o.augment = true;
  o.optimizer.lr = 0.05;
  o.schedule.name = "cosine";

  auto run = [&](const std::string& run_dir, int64_t interrupt_at, bool resume) {
    torch::manual_seed(7);
    DataSplits data = synthetic(100, 16);  // 6 batches/epoch with drop_last: interrupt mid-epoch
    GraphModule model(tiny_cnn(data.train->sample_shape(), data.train->num_classes()));
    TrainOptions opts = o;
    opts.resume = resume;
    Trainer trainer(model, data, opts, TrainerEnv{run_dir, 11, nullptr, false});
    auto rec = std::make_shared<LossRecorder>();
    rec->interrupt_at = interrupt_at;
    trainer.add_callback(rec);
    TrainResult r = trainer.fit();
    clear_interrupt();
    return std::make_pair(r, rec->losses);
  };

  auto [full, full_losses] = run(dir + "/full", 0, false);
  ASSERT_EQ(full.steps, 18);
  auto [cut, cut_losses] = run(dir + "/cut", 8, false);
  EXPECT_TRUE(cut.interrupted);
  ASSERT_EQ(cut_losses.size(), 8u);
  ASSERT_TRUE(std::filesystem::exists(dir + "/cut/checkpoints/last.pt"));
  auto [resumed, resumed_losses] = run(dir + "/cut", 0, true);
  EXPECT_TRUE(resumed.resumed);
  ASSERT_EQ(resumed_losses.size(), 10u);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(cut_losses[i], full_losses[i]) << "step " << i + 1;
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(resumed_losses[i], full_losses[8 + i]) << "step " << 9 + i;
  EXPECT_EQ(resumed.test.accuracy, full.test.accuracy);
}

TEST(TrainerTest, WritesMetricsAndModelFiles) {
  torch::set_num_threads(1);
  const auto dir = testing::make_temp_dir("metrics");
  torch::manual_seed(1);
  DataSplits data = synthetic(64, 16, 0.25);
  GraphModule model(tiny_cnn(data.train->sample_shape(), data.train->num_classes()));
  TrainOptions o;
  o.batch_size = 16;
  o.epochs = 2;
  o.log_every = 1;
  o.workers = 0;
  Trainer trainer(model, data, o, TrainerEnv{dir, 0, nullptr, false});
  TrainResult r = trainer.fit();
  EXPECT_GT(r.val.count, 0);
  const std::string jsonl = testing::read_text(dir + "/metrics.jsonl");
  EXPECT_NE(jsonl.find("\"kind\":\"epoch\""), std::string::npos);
  EXPECT_NE(jsonl.find("\"val_accuracy\""), std::string::npos);
  EXPECT_NE(jsonl.find("\"kind\":\"final\""), std::string::npos);
  const std::string csv = testing::read_text(dir + "/metrics.csv");
  EXPECT_EQ(csv.rfind("kind,step,epoch,lr", 0), 0u) << csv.substr(0, 80);
  save_model(dir + "/model.pt", model);
  GraphModule loaded = load_model(dir + "/model.pt");
  model->eval();
  loaded->eval();
  auto x = torch::randn({2, 1, 8, 8});
  EXPECT_TRUE(torch::equal(model->forward(x), loaded->forward(x)));
}

TEST(TrainerTest, CorruptCheckpointGivesAClearError) {
  const auto dir = testing::make_temp_dir("corrupt");
  testing::write_text(dir + "/bad.pt", "not a checkpoint");
  try {
    read_checkpoint_graph(dir + "/bad.pt");
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.pt"), std::string::npos);
  }
}

}  // namespace
}  // namespace tinyprune
