// When a one-shot pruner acts: at the start of epoch `prune_epoch`, or, by default, with
// `finetune_epochs` epochs of the run left to fine-tune the pruned model.
//   prune: {method: l1_filter, ratio: 0.5, finetune_epochs: 2}     # prune, then 2 epochs
//   prune: {method: l1_filter, ratio: 0.5, prune_epoch: 0}         # prune a model.init_from model at once
#pragma once

#include <cstdint>

namespace tinyprune {

class ConfigNode;

struct PruneTiming {
  int64_t prune_epoch = -1;     // -1 = derive from finetune_epochs
  int64_t finetune_epochs = 1;  // >= 0

  static PruneTiming from_yaml(ConfigNode& node);
  // The optimizer step at which to prune (clamped to [0, total_steps - 1]).
  int64_t prune_step(int64_t steps_per_epoch, int64_t total_steps) const;
};

}  // namespace tinyprune
