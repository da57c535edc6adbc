// Callback: the trainer's hook interface. Pruners (pruners/pruner.h) derive from it.
//
// Hook order within one optimizer step:
//   on_step_begin -> forward -> loss -> backward -> [gradient all-reduce] -> on_after_backward
//   -> optimizer.step() -> on_after_optimizer_step
// around epochs: on_train_begin, on_epoch_begin, ..., on_epoch_end, on_train_end.
// A callback may add fields to the current metrics record (`ctx.record`), ask the trainer to stop
// (`ctx.stop_requested`), or replace the model (`ctx.replace_model`, e.g. after compaction),
// which rebuilds the optimizer, or rewind the loop to an earlier step (`ctx.restart_at`). Its state goes into every checkpoint via save_state/load_state.
//
// Example:
//   class PrintLoss : public Callback {
//    public:
//     std::string name() const override { return "print_loss"; }
//     void on_after_optimizer_step(TrainContext& ctx) override {
//       if (ctx.step % 100 == 0) ctx.log->info("step={} loss={}", ctx.step, ctx.loss.item<double>());
//     }
//   };
#pragma once

#include <torch/serialize/archive.h>

#include <functional>
#include <memory>
#include <string>

#include "core/graph_module.h"
#include "core/json.h"

namespace spdlog {
class logger;
}
namespace torch::optim {
class Optimizer;
}

namespace tinyprune {

struct Batch;
struct DataSplits;
struct TrainOptions;
class Communicator;

struct TrainContext {
  GraphModule model{nullptr};
  torch::optim::Optimizer* optimizer = nullptr;
  const DataSplits* data = nullptr;     // train / val (may be null) / test
  const TrainOptions* options = nullptr;
  Communicator* comm = nullptr;
  std::shared_ptr<spdlog::logger> log;
  uint64_t seed = 0;

  int64_t step = 0;             // optimizer steps completed so far
  int64_t epoch = 0;            // current epoch, 0-based
  int64_t step_in_epoch = 0;    // batches done in the current epoch
  int64_t steps_per_epoch = 0;
  int64_t total_steps = 0;
  double lr = 0.0;

  const Batch* batch = nullptr;  // current batch (step hooks only)
  torch::Tensor logits;          // current forward output (after forward)
  torch::Tensor loss;            // current loss (after forward)

  Json* record = nullptr;        // metrics record of the current step/epoch (may be null)
  bool stop_requested = false;   // a callback sets this to end training after the current step

  // Replaces the model (e.g. with its compacted version) and rebuilds the optimizer with fresh
  // state. Set by the trainer.
  std::function<void(GraphModule)> replace_model;
  // Rewinds the loop to optimizer step `step` (in [0, total_steps)) once the current step's hooks
  // have returned (lottery-ticket rewinding): the optimizer is rebuilt with fresh state, the
  // learning-rate schedule and the data order continue from `step` (epoch = step /
  // steps_per_epoch), and the interrupted epoch gets no epoch-end hooks. Weights, masks and
  // counters are the caller's business. Callable from on_after_optimizer_step. Set by the trainer.
  std::function<void(int64_t step)> restart_at;
};

class Callback {
 public:
  virtual ~Callback() = default;
  // Stable key used for the callback's state inside checkpoints.
  virtual std::string name() const = 0;

  virtual void on_train_begin(TrainContext&) {}
  virtual void on_epoch_begin(TrainContext&) {}
  virtual void on_step_begin(TrainContext&) {}
  virtual void on_after_backward(TrainContext&) {}
  virtual void on_after_optimizer_step(TrainContext&) {}
  virtual void on_epoch_end(TrainContext&) {}
  virtual void on_train_end(TrainContext&) {}

  virtual void save_state(torch::serialize::OutputArchive&) const {}
  virtual void load_state(torch::serialize::InputArchive&) {}
};

}  // namespace tinyprune
