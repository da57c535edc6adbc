// `l1_filter`: structured channel pruning (Li et al. 2017 style). At one step (pruners/
// prune_timing.h) every prunable channel group keeps its highest-scoring channels — filter L1
// norm summed over the group's producers by default, or any channel importance
// (pruners/importance.h) — to a uniform ratio or to the smallest ratio fitting a resource budget;
// the remaining epochs fine-tune. Residual groups share one mask (ChannelGroups).
//
//   prune: {method: l1_filter, budget: {model_size_kb: 64}, importance: l1, finetune_epochs: 2}
#pragma once

#include <memory>
#include <string>

#include "pruners/channel_target.h"
#include "pruners/importance.h"
#include "pruners/prune_timing.h"
#include "pruners/pruner.h"

namespace tinyprune {

class ConfigNode;

struct L1FilterPrunerOptions {
  ChannelTarget target;
  std::string importance = "l1";   // any name of importance_names() with channel scores
  PruneTiming timing;
  int64_t importance_batches = 8;  // validation batches for gradient-based importance
  static L1FilterPrunerOptions from_yaml(ConfigNode& node);
};

class L1FilterPruner : public Pruner {
 public:
  explicit L1FilterPruner(L1FilterPrunerOptions options);
  bool target_met() const override;
  Json summary() const override;

 protected:
  void step_begin(TrainContext& ctx) override;
  void save_extra(torch::serialize::OutputArchive& archive) const override;
  void load_extra(torch::serialize::InputArchive& archive) override;

 private:
  L1FilterPrunerOptions options_;
  bool pruned_ = false;
};

}  // namespace tinyprune
