// Options of the `train:` section of an experiment file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinyprune {

class ConfigNode;

struct OptimizerOptions {
  std::string name = "sgd";  // sgd | adam
  double lr = 0.05;          // peak learning rate (> 0)
  double momentum = 0.9;     // sgd
  bool nesterov = false;     // sgd
  double weight_decay = 5e-4;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam
};

struct LrScheduleOptions {
  std::string name = "cosine";  // constant | step | cosine
  double warmup_epochs = 0;     // linear warm-up from lr*warmup_start_factor, in epochs (fractional ok)
  double warmup_start_factor = 0.1;
  std::vector<int64_t> milestones;  // step: epochs at which lr *= gamma (default: every step_size)
  int64_t step_size = 30;           // step: epochs between decays when no milestones
  double gamma = 0.1;               // step: decay factor
  double min_lr = 0.0;              // cosine: final learning rate
};

struct TrainOptions {
  int64_t epochs = 1;     // used when max_steps == 0
  int64_t max_steps = 0;  // > 0: stop after this many optimizer steps (overrides epochs)
  int64_t batch_size = 128;
  int64_t eval_batch_size = 512;
  int64_t workers = 2;             // data-loading threads (0 = on the training thread)
  bool drop_last = true;
  bool augment = true;              // apply the data section's random transforms to the train split
  double label_smoothing = 0.0;
  OptimizerOptions optimizer;
  LrScheduleOptions schedule;
  int64_t log_every = 50;           // steps between metric records / log lines
  int64_t checkpoint_every = 0;     // steps between checkpoints; 0 = at each epoch end only
  bool eval_each_epoch = true;      // evaluate on val (if any) after every epoch
  bool resume = false;              // continue from the run directory's last checkpoint
  // Layout of conv weights and activations during training: channels_last (NHWC in memory,
  // oneDNN's fast path on CPU) or contiguous (NCHW). Values agree up to float summation order;
  // the model leaves fit() contiguous either way.
  std::string memory_format = "channels_last";

  static TrainOptions from_yaml(ConfigNode& train);
};

}  // namespace tinyprune
