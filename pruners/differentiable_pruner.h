// `differentiable`: differentiable channel pruning to microcontroller resource budgets in one
// training run (Liberis & Lane, "Differentiable Network Pruning for Microcontrollers"; DSA-style
// relaxation). algorithms.md 2.1-2.7 and 3.5; the math lives in pruners/differentiable_math.h.
//
// State: one width multiplier pi_g = exp(theta_g) per prunable channel group (starts at 1, only
// shrinks, never below one channel) and the group's hard mask: the top max(1, floor(pi_g*C_g))
// channels by salience (max over the group's BN members of |gamma|; groups without BN: L2 norm of
// each producer's output row, max over producers), applied after BN through MaskSet channel masks.
// Residual groups share one mask (ChannelGroups ties Add summands); groups reaching the logits or
// coming from the input are never pruned.
//
// Every `update_every` training steps from `start_epoch` on (after the optimizer step):
//   1. resources at the deployed widths of pi (ResourceModel: exact PMU or the naive bound, int8
//      model size incl. bias/requantisation words, MACs). All budgets met -> pi is frozen for good.
//   2. otherwise: P_TSK = cross-entropy of the masked network on one validation batch (eval mode,
//      BN statistics untouched), g_j = dP_TSK/dM_j through mask tensors that require grad,
//      dP_TSK/dpi_g by Eq. 9; P_RES by random scalarisation (or a plain sum) of the violated
//      budgets; alphas set at the first update unless given (alpha_rule);
//      g = clip(alpha_res*dP_RES + alpha_tsk*dP_TSK, 0, clip) on the bottleneck groups (focus);
//      theta -= lr * pi * g.
//   3. masks recomputed from the current saliences (channels may come back) and committed.
// In the last `final_phase` of training masks are frozen (if the budgets are met by then; if not, pi
// keeps shrinking to the end on the resource gradient alone, at the cap). `early_termination`
// compacts the model physically once pi is frozen (after `early_termination_delay` more updates)
// and trains the smaller network for the rest of the run; the summary reports the measured step
// times and the training time saved.
//
// YAML (every key but `budget` optional; defaults shown):
//   prune:
//     method: differentiable
//     budget: {peak_memory_kb: 64, model_size_kb: 256, macs: 10e6}  # at least one
//     start_epoch: 0          # epochs (fractions allowed) before the first update
//     update_every: 20        # training steps between updates
//     lr: auto                # eta_pi; auto: the uniform-scaling width in 1/4 of the updates at the cap
//     alpha_rule: gradient    # how `auto` alphas are set at the first update: gradient (first
//                             # gradients ~ the cap, App. A practical rule) | loss (paper 3.2:
//                             # alpha_res 1, alpha_tsk = alpha_ratio * P_RES^init / P_TSK^init)
//     alpha_res: auto         # or a number >= 0
//     alpha_tsk: auto         # or a number >= 0
//     alpha_ratio: 0.667      # r of both rules
//     objective: both         # both | task | resource   (ablations; task = P_RES 0, footnote 6)
//     scalarisation: random   # random | sum
//     pmu: exact              # exact | naive: PMU of the objective and of the stop test (ablation);
//                             # target_met() and the summary always use the exact PMU
//     focus: true             # only groups with dP_RES/dpi > 0 move
//     clip: 0.025
//     s0: solve               # solve (Eq. 6) | threshold (Algorithm 1's tau)
//     val_batch_size: 128     # validation batch of P_TSK (training data when there is no val split)
//     final_phase: 0.1        # fraction of the run at the end with frozen masks
//     early_termination: false
//     early_termination_delay: 0   # updates after pi froze
//
// Errors: wrong keys/values are ConfigErrors with file:line; a budget that even one channel per
// prunable group cannot meet is a ConfigError at prune.budget raised when training starts (the
// resources depend on the model and data). A run that ends over budget logs an error and its
// summary says so (budgets_met: false, message).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "pruners/budget.h"
#include "pruners/differentiable_math.h"
#include "pruners/pruner.h"

namespace tinyprune {

class ConfigNode;
class PrunerRegistry;

struct DifferentiableOptions {
  enum class Objective { kBoth, kTask, kResource };

  Budget budget;
  std::string budget_where = "prune.budget";  // "file:line:col: prune.budget" for late errors
  double start_epoch = 0.0;
  int64_t update_every = 20;
  std::optional<double> lr;         // nullopt = auto
  std::optional<double> alpha_res;  // nullopt = auto (alpha_rule)
  std::optional<double> alpha_tsk;  // nullopt = auto (alpha_rule)
  bool alpha_from_gradients = true; // alpha_rule: gradient (true) | loss
  double alpha_ratio = 2.0 / 3.0;
  Objective objective = Objective::kBoth;
  Scalarisation scalarisation = Scalarisation::kRandom;
  bool pmu_exact = true;
  bool focus = true;
  double clip = 0.025;
  bool solve_s0 = true;
  int64_t val_batch_size = 128;
  double final_phase = 0.1;
  bool early_termination = false;
  int64_t early_termination_delay = 0;

  // Reads the `prune` section (the keys above; `method` belongs to the registry).
  static DifferentiableOptions from_yaml(ConfigNode& section);
};

// Salience of every channel of `group` (>= 1e-8, [C_g], double, CPU): max over BN members of
// |gamma|; without a BN member, max over conv/linear producers of the L2 norm of the output row.
std::vector<double> group_salience(GraphModule& model, const ChannelGroup& group);

// dP/dM_j per prunable group for the model's current output masks: each group's mask is replaced by
// a tensor requiring grad (one per group, shared by all its masked nodes, so gradients sum over
// members), the model runs `images` in eval mode and the cross-entropy's gradient is read.
// Returns the loss; `grads[g]` is empty for groups without an output mask. The model's masks,
// parameter gradients and training mode are left as they were.
double mask_gradients(GraphModule& model, const ChannelGroups& groups, const torch::Tensor& images,
                      const torch::Tensor& labels, std::vector<std::vector<double>>& grads);

class DifferentiablePruner : public Pruner {
 public:
  explicit DifferentiablePruner(DifferentiableOptions options);

  Json summary() const override;
  bool target_met() const override;

  // Current multipliers per group (1 for fixed groups); valid after on_train_begin.
  std::vector<double> multipliers() const;
  bool pi_frozen() const { return frozen_step_ >= 0; }
  int64_t updates() const { return updates_; }
  double learning_rate() const { return lr_; }
  double alpha_tsk() const { return alpha_tsk_; }
  double alpha_res() const { return alpha_res_; }
  bool compacted() const { return compact_step_ >= 0; }

 protected:
  void train_begin(TrainContext& ctx) override;
  void step_begin(TrainContext& ctx) override;
  void after_step(TrainContext& ctx) override;
  void train_end(TrainContext& ctx) override;
  void save_extra(torch::serialize::OutputArchive& archive) const override;
  void load_extra(torch::serialize::InputArchive& archive) override;

 private:
  struct Evaluated {
    ResourceGradients res;
    std::vector<ResourceTerm> terms;  // constrained objectives (PMU exact or naive)
    bool met = false;
  };
  Evaluated evaluate_pi() const;
  void update(TrainContext& ctx);
  // Recomputes the hard masks from salience and pi; returns the fraction of channels that changed.
  double refresh_masks(TrainContext& ctx, const std::vector<std::vector<double>>& salience, bool force_commit);
  std::vector<double> task_gradient(TrainContext& ctx, const std::vector<std::vector<double>>& salience,
                                    double& p_tsk);
  void validation_batch(TrainContext& ctx, torch::Tensor& images, torch::Tensor& labels);

  DifferentiableOptions opt_;
  // Persistent state (checkpointed).
  std::vector<double> theta_;
  int64_t updates_ = 0;
  int64_t frozen_step_ = -1;        // step at which every budget held (pi frozen)
  int64_t masks_frozen_step_ = -1;
  int64_t compact_step_ = -1;       // early termination
  int64_t task_batches_ = 0;        // validation batches drawn so far
  bool alpha_set_ = false;
  double alpha_res_ = 1.0, alpha_tsk_ = 0.0, p_res_init_ = 0.0, p_tsk_init_ = 0.0;
  double lr_ = 0.0;
  double pruning_seconds_ = 0.0;    // spent inside updates
  double commit_seconds_ = 0.0;     // part of it in Pruner::commit
  double step_seconds_before_ = 0.0, step_seconds_after_ = 0.0;  // summed step times
  int64_t steps_before_ = 0, steps_after_ = 0;
  int64_t macs_at_compaction_ = 0, macs_before_compaction_ = 0;
  bool restored_ = false;
  // Per run.
  std::vector<bool> prunable_;
  std::vector<double> min_theta_;
  int64_t start_step_ = 0, final_step_ = 0, total_steps_ = 0;
  double pi_uniform_ = 1.0;
  bool warned_no_val_ = false, warned_final_ = false, warned_inexact_ = false;
  std::chrono::steady_clock::time_point step_start_;
};

// Registers "differentiable" (called by register_builtin_pruners).
void register_differentiable_pruner(PrunerRegistry& registry);

}  // namespace tinyprune
