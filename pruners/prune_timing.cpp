#include "pruners/prune_timing.h"

#include <algorithm>

#include "core/config_node.h"

namespace tinyprune {

PruneTiming PruneTiming::from_yaml(ConfigNode& node) {
  PruneTiming t;
  t.prune_epoch = node.get_int("prune_epoch", t.prune_epoch, -1);
  t.finetune_epochs = node.get_int("finetune_epochs", t.finetune_epochs, 0);
  return t;
}

int64_t PruneTiming::prune_step(int64_t steps_per_epoch, int64_t total_steps) const {
  const int64_t epochs = (total_steps + steps_per_epoch - 1) / steps_per_epoch;
  const int64_t epoch = prune_epoch >= 0 ? prune_epoch : std::max<int64_t>(0, epochs - finetune_epochs);
  return std::clamp<int64_t>(epoch * steps_per_epoch, 0, std::max<int64_t>(0, total_steps - 1));
}

}  // namespace tinyprune
