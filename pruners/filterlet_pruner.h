// `filterlet`: DTMM filterlet pruning (algorithms.md 1.1-1.6) with Taylor importance and the
// pruning-strategy scheduler (schedulers/dtmm_scheduler.h).
//
// One round: first-order Taylor importance on the current weights, gradients averaged over the
// validation split (pruners/filterlet/filterlet_importance.h) -> the scheduler picks per-group
// filter fractions beta and per-conv filterlet fractions alpha that minimise the predicted latency
// within the budgets -> masks (pruners/filterlet/filterlet_units.h): filters as channel masks on
// channel groups (residual-coupled convs share them), filterlets as filterlet masks -> commit; the
// remaining epochs fine-tune with masked gradients (Pruner base class). The run compacts the
// channel masks away after training; pruned filterlets stay exactly zero, so the exporter stores
// every conv whose FWCS form is smaller as FWCS.
//
// one_shot (default): one round at the start of epoch train.epochs - finetune_epochs (or
// prune_epoch), e.g. on a model.init_from model with epochs == finetune_epochs: prune at once.
// iterative: `rounds` rounds at epochs begin_epoch .. that epoch (default one per epoch), each to
// a budget moved from the dense model's value towards the target (linear or cubic ramp); units
// pruned in a round stay pruned.
//
// Budgets (all optional, at least one or a numeric importance_bound):
//   model_size_kb   flash of the weight records exactly as the exporter writes them (FWCS or
//                   dense values, FWCS index arrays, int32 bias, int32 multiplier, int8 shift);
//                   blob headers excluded (schedulers/deployed_cost.h)
//   peak_memory_kb  exact minimal peak SRAM over execution orders (ResourceModel)
//   macs            MACs the runtime executes (FWCS skips pruned filterlets)
//
//   prune:
//     method: filterlet
//     importance: taylor              # taylor | l1 (|w| instead of |w*g|)
//     filter_score: sum_abs           # sum_abs | abs_sum
//     importance_batches: 0           # validation batches (0 = all)
//     importance_batch_size: 64
//     budget: {model_size_kb: 64, peak_memory_kb: 48}
//     finetune_epochs: 2              # or prune_epoch: N
//     schedule: {kind: one_shot}      # or {kind: iterative, rounds: 3, begin_epoch: 1, ramp: cubic}
//     exclude: [features_conv0]       # convs never pruned
//     importance_bound: auto          # DTMM's acc (one number for filters and filterlets), or auto:
//                                     # the smallest filter / filterlet bounds reaching the budgets
//     filter_bound_per_filterlet: true # filters meet the bound per filterlet (false: DTMM's raw scores)
//     importance_slack: 1.0           # auto bound multiplier (>= 1): room for the latency search
//     importance_weight: 0.0          # objective += weight * removed importance fraction
//     max_filter_fraction: 0.8        # per channel group
//     max_filterlet_fraction: 0.95    # per conv (pruned filters included)
//     latency_model: m55_mve          # m55_mve | m4_dsp (schedulers/kernel_cost_model.h)
//     annealing: {temperatures: scaled, t0: 0.05, t_end: 1e-4, cooling: 0.9,
//                 moves_per_temperature: 100, step: 0.05, max_iterations: 6000,
//                 max_repair_steps: 1000, repair_step: 0.05, seed: 0}
//                 # temperatures: reference = DTMM's T0 100 / T_end 20
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pruners/budget.h"
#include "pruners/filterlet/filterlet_importance.h"
#include "pruners/prune_timing.h"
#include "pruners/pruner.h"
#include "schedulers/dtmm_scheduler.h"

namespace tinyprune {

class ConfigNode;
class PrunerRegistry;

struct FilterletPrunerOptions {
  std::string importance = "taylor";
  FilterScoreForm filter_score = FilterScoreForm::kSumAbs;
  int64_t importance_batches = 0;
  int64_t importance_batch_size = 64;
  Budget budget;
  PruneTiming timing;
  std::string schedule = "one_shot";  // one_shot | iterative
  int64_t rounds = 1;
  int64_t begin_epoch = -1;            // iterative; -1 = one round per epoch up to the last
  std::string ramp = "linear";         // linear | cubic
  std::vector<std::string> exclude;
  std::string latency_model = "m55_mve";
  DtmmOptions scheduler;

  // Reads the `prune` section (method excluded); errors carry file:line.
  static FilterletPrunerOptions from_yaml(ConfigNode& node);
};

class FilterletPruner : public Pruner {
 public:
  explicit FilterletPruner(FilterletPrunerOptions options);
  const FilterletPrunerOptions& options() const { return options_; }

  // Every budget met by the current masks (the last round's target; true before the last round
  // only when no budget is set).
  bool target_met() const override;
  Json summary() const override;

 protected:
  void step_begin(TrainContext& ctx) override;
  void save_extra(torch::serialize::OutputArchive& archive) const override;
  void load_extra(torch::serialize::InputArchive& archive) override;

 private:
  // Optimizer step of each round.
  std::vector<int64_t> round_steps(int64_t steps_per_epoch, int64_t total_steps) const;
  void prune_round(TrainContext& ctx, int64_t round, int64_t rounds);
  // Resources of the current masks (the numbers the summary reports).
  Json achieved_json() const;

  FilterletPrunerOptions options_;
  int64_t rounds_done_ = 0;
  std::optional<DtmmState> state_;        // last round's strategy (lower bound of the next)
  std::optional<DtmmEvaluation> dense_;   // the model before the first round
  Json rounds_ = Json::array();
  Json layers_ = Json::array();
};

void register_filterlet_pruner(PrunerRegistry& registry);

}  // namespace tinyprune
