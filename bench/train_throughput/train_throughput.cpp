// Training throughput of the C++ trainer on Fashion-MNIST: images/s over timed steps after a
// warm-up, and the share of wall time spent waiting for data. Writes the model's graph (JSON-
// compatible YAML) so bench/train_throughput/pytorch_baseline.py trains the very same network.
//
//   bench_train_throughput --model vgg11 --width 0.25 --threads 2 --batch 128 --steps 60 \
//       --warmup 10 --graph-out /tmp/g.yaml [--memory-format channels_last|contiguous]
// The memory format defaults to the trainer's default (train.memory_format).
// Prints one JSON line: {"impl":"tinyprune", "images_per_second":..., "data_fraction":...}.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "core/atomic_file.h"
#include "core/graph_module.h"
#include "core/json.h"
#include "core/logging.h"
#include "core/models/zoo.h"
#include "core/train/trainer.h"
#include "datasets/data_options.h"
#include "datasets/dataset.h"
#include "datasets/registry.h"

using namespace tinyprune;
using Clock = std::chrono::steady_clock;

namespace {

// Times optimizer steps after the warm-up (forward+backward+step, data waits included).
class StepTimer : public Callback {
 public:
  explicit StepTimer(int64_t warmup) : warmup_(warmup) {}
  std::string name() const override { return "step_timer"; }
  void on_step_begin(TrainContext& ctx) override {
    if (ctx.step == warmup_) start_ = Clock::now();
  }
  void on_after_optimizer_step(TrainContext& ctx) override {
    if (ctx.step > warmup_) images_ += ctx.batch->labels.size(0);
    end_ = Clock::now();
  }
  double images_per_second() const {
    return static_cast<double>(images_) / std::chrono::duration<double>(end_ - start_).count();
  }

 private:
  int64_t warmup_;
  int64_t images_ = 0;
  Clock::time_point start_, end_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string model = "vgg11", graph_out, memory_format = TrainOptions{}.memory_format;
  double width = 0.25;
  int64_t threads = 1, batch = 128, steps = 60, warmup = 10, workers = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") model = v;
    else if (k == "--width") width = std::stod(v);
    else if (k == "--threads") threads = std::stoll(v);
    else if (k == "--batch") batch = std::stoll(v);
    else if (k == "--steps") steps = std::stoll(v);
    else if (k == "--warmup") warmup = std::stoll(v);
    else if (k == "--workers") workers = std::stoll(v);
    else if (k == "--graph-out") graph_out = v;
    else if (k == "--memory-format") memory_format = v;
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  set_log_level("warn");
  torch::set_num_threads(static_cast<int>(threads));
  torch::manual_seed(0);
  DataOptions d;
  d.name = "fashion_mnist";
  d.val_fraction = 0.0;
  DataSplits data = DatasetRegistry::global().create(d, 0);
  ModelSpec spec;
  spec.name = model;
  spec.width = width;
  Graph g = build_model(spec.for_data(data.train->sample_shape(), data.train->num_classes()));
  if (!graph_out.empty()) write_file_atomic(graph_out, g.to_yaml());

  TrainOptions o;
  o.batch_size = batch;
  o.max_steps = warmup + steps;
  o.workers = workers;
  o.augment = false;
  o.eval_each_epoch = false;
  o.optimizer.name = "sgd";
  o.optimizer.lr = 0.01;
  o.optimizer.momentum = 0.9;
  o.optimizer.weight_decay = 5e-4;
  o.schedule.name = "constant";
  o.memory_format = memory_format;
  // No test-set evaluation in the timing: an empty test split keeps fit() to training only.
  DataSplits train_only{data.train, nullptr, nullptr};
  Trainer trainer(GraphModule(g), train_only, o, TrainerEnv{"", 0, nullptr, false});
  auto timer = std::make_shared<StepTimer>(warmup);
  trainer.add_callback(timer);
  TrainResult r = trainer.fit();

  Json out = Json::object();
  out["impl"] = "tinyprune";
  out["model"] = model;
  out["width"] = width;
  out["threads"] = threads;
  out["batch"] = batch;
  out["memory_format"] = memory_format;
  out["images_per_second"] = timer->images_per_second();
  out["data_fraction"] = r.data_wait_seconds / (r.data_wait_seconds + r.train_seconds);
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
