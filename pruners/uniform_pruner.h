// `uniform`: uniform width scaling (the papers' "manual scaling" baseline). From the first step
// every prunable channel group keeps its first round((1 - r) * C_g) channels, r a given ratio or
// the smallest one fitting a budget, so the run trains the narrower network from scratch (the
// masked channels never contribute) and compaction leaves exactly that network.
//
//   prune: {method: uniform, budget: {peak_memory_kb: 32}}
#pragma once

#include "pruners/channel_target.h"
#include "pruners/pruner.h"

namespace tinyprune {

class ConfigNode;

class UniformPruner : public Pruner {
 public:
  explicit UniformPruner(ChannelTarget target);
  bool target_met() const override;
  Json summary() const override;

 protected:
  void train_begin(TrainContext& ctx) override;

 private:
  ChannelTarget target_;
};

}  // namespace tinyprune
