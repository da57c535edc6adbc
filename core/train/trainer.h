// Trainer: the training loop with hooks, metrics, checkpoints and resume.
//
// One run = `fit()`: for each step: batch -> forward -> cross-entropy -> backward -> gradient
// all-reduce (Communicator) -> hooks -> optimizer step -> hooks. Learning rate is a pure function
// of the step (lr_schedule.h). Evaluation on val after every epoch, on test at the end.
// Checkpoints (every `checkpoint_every` steps, at epoch ends, on Ctrl-C and at the end) hold
// everything for a bit-exact continuation: with `resume`, `fit()` continues from the run
// directory's last checkpoint, skipping the batches already seen in the current epoch.
// Deterministic under a fixed seed with 1 LibTorch thread.
// Only rank 0 writes files; every rank runs the same loop.
//
// Usage:
//   Trainer trainer(model, splits, options, {.run_dir = dir, .seed = 1});
//   trainer.add_callback(pruner);
//   TrainResult r = trainer.fit();
#pragma once

#include <c10/core/MemoryFormat.h>

#include <memory>
#include <string>
#include <vector>

#include "core/graph_module.h"
#include "core/train/callback.h"
#include "core/train/evaluate.h"
#include "core/train/metrics_log.h"
#include "core/train/train_options.h"
#include "datasets/registry.h"

namespace torch::optim {
class Optimizer;
}

namespace tinyprune {

class Communicator;

struct TrainerEnv {
  std::string run_dir;           // "" = write nothing (tests)
  uint64_t seed = 0;
  Communicator* comm = nullptr;  // nullptr = single process
  bool show_progress = true;
};

struct TrainResult {
  EvalResult test;
  EvalResult val;               // count 0 when there is no val split
  int64_t steps = 0;
  int64_t epochs_completed = 0;
  double final_train_loss = 0.0;
  double wall_seconds = 0.0;    // the whole fit(), evaluation included
  double train_seconds = 0.0;   // optimizer steps only
  double data_wait_seconds = 0.0;
  double train_images_per_second = 0.0;
  bool interrupted = false;
  bool resumed = false;
};

class Trainer {
 public:
  Trainer(GraphModule model, DataSplits data, TrainOptions options, TrainerEnv env);
  ~Trainer();

  void add_callback(std::shared_ptr<Callback> cb);
  TrainResult fit();

  GraphModule model() const { return model_; }
  const DataSplits& data() const { return data_; }
  // Path of the rolling checkpoint inside the run directory.
  std::string checkpoint_path() const;

 private:
  void rebuild_optimizer();
  c10::MemoryFormat training_memory_format() const;
  void write_checkpoint(int64_t epoch, int64_t step_in_epoch);  // main rank only

  GraphModule model_;
  DataSplits data_;
  TrainOptions options_;
  TrainerEnv env_;
  std::unique_ptr<Communicator> local_comm_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<std::shared_ptr<Callback>> callbacks_;
  TrainContext ctx_;
  MetricsLog metrics_;  // enabled on the main rank with a run directory (during fit)
  int64_t pending_restart_ = -1;  // step requested through ctx_.restart_at
};

}  // namespace tinyprune
