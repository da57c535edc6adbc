// `magnitude`: unstructured magnitude pruning (weights with the smallest |w| go), global (one
// threshold over every prunable tensor: layers compete) or per layer (the same fraction of each),
// on a gradual schedule (schedulers/sparsity_schedule.h; default cubic, Zhu & Gupta).
//
//   prune: {method: magnitude, sparsity: 0.8, scope: global, exclude: [classifier],
//           schedule: {kind: cubic, begin_epoch: 0, end_epoch: 3}}
// Counts are exact: round(s * N) weights of the pruned pool are zero after an event, ties broken
// by position. Prunable: conv and linear weights except `exclude` (node names); never biases/BN.
#pragma once

#include <string>
#include <vector>

#include "pruners/pruner.h"
#include "schedulers/sparsity_schedule.h"

namespace tinyprune {

class ConfigNode;

struct MagnitudePrunerOptions {
  double sparsity = 0.5;                 // [0, 1): final fraction of prunable weights at zero
  std::string scope = "global";          // global | layer
  std::vector<std::string> exclude;      // node names kept dense
  ScheduleOptions schedule;              // kind defaults to cubic
  static MagnitudePrunerOptions from_yaml(ConfigNode& node);
};

class MagnitudePruner : public Pruner {
 public:
  explicit MagnitudePruner(MagnitudePrunerOptions options);
  bool target_met() const override;
  Json summary() const override;
  // Masks every prunable tensor so that `sparsity` of its pool is zero (exposed for tests).
  void prune_to(GraphModule& model, double sparsity);

 protected:
  void train_begin(TrainContext& ctx) override;
  void step_begin(TrainContext& ctx) override;
  void save_extra(torch::serialize::OutputArchive& archive) const override;
  void load_extra(torch::serialize::InputArchive& archive) override;

 private:
  MagnitudePrunerOptions options_;
  SparsitySchedule schedule_;
  std::vector<int> prunable_;
  int64_t last_event_ = -1;
  double reached_ = 0.0;
};

}  // namespace tinyprune
