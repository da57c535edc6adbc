// `imp`: iterative magnitude pruning with lottery-ticket rewinding (OpenLTH, algorithms.md 4) and,
// per level, DNNShifter's structural conversion of the sparse model (algorithms.md 5,
// pruners/structural.h) with a portfolio of the converted variants.
//
//   prune: {method: imp, levels: 10, fraction: 0.2, rewind_step: 500, exclude: [classifier],
//           exact_count: false, structural: exact, fold_tolerance: 0, portfolio: true,
//           random_reinit_control: false}
//
// Everything happens inside ONE trainer run (one checkpoint, one metrics log):
//   * level 0 trains the dense model for the run's total steps T (train.epochs or max_steps);
//     the full model state W_k (parameters and every buffer, BN running statistics included) is
//     stored when step k = rewind_step is reached (k = 0: the initial weights, the original
//     lottery ticket);
//   * at the end of every level (after_step with step == T) the pruner evaluates the level's
//     sparse model on the test split, converts it structurally (unless `structural: off`),
//     optionally measures CPU latency and trains a random-re-initialisation control; then, unless
//     it was the last level, it prunes (global magnitude, below), loads W_k into the model,
//     applies the new masks and calls ctx.restart_at(k): the trainer continues at step k with a
//     fresh optimizer, and the learning-rate schedule and data order of step k. So every level
//     trains steps k..T (T - k steps; level 0 trains 0..T);
//   * after the last level training ends normally; the run keeps the last level's sparse model.
// Level counter, W_k, per-level records and the portfolio variants are part of the pruner's
// checkpoint state, so a run killed mid-level resumes in that level (bit-exact with 1 thread).
//
// Pruning step (OpenLTH `sparse_global`, algorithms.md 4.3): R = alive prunable weights,
// n = ceil(fraction * R) (double arithmetic, as numpy), thr = n-th smallest |w| among the alive
// weights (0-based), every weight with |w| <= thr goes (OpenLTH's `>` test): n + 1 weights plus
// ties per level. `exact_count: true` removes exactly the n smallest (ties by position).
// Prunable: the weights of every conv and linear node except `exclude`; never biases or BN.
// Default exclusions (no `exclude` key) follow OpenLTH's per-model defaults: the zoo's VGG family
// (nodes named features_conv*) keeps `classifier` dense (cifar_vgg_16 ignores fc.weight); every
// other model prunes all conv/linear weights (cifar_resnet_20 ignores nothing). `exclude: []`
// prunes everything.
//
// Per-level record (metrics.jsonl at the level's last step, keys imp_*, and summary()["levels"]):
// level, density / sparsity of the prunable weights, test accuracy of the sparse model; with
// structural conversion the converted model's params, accuracy, max |sparse - converted| logit
// difference on a calibration batch (first `calibration_size` training images, unaugmented) and
// conversion seconds (`compare_modes: true` also runs the other mode, for reports); with
// `latency_batch > 0` the CPU latency of one forward of `latency_batch` images, sparse vs
// converted (ms, median and minimum of `latency_reps` runs after 3 warm-ups, the models timed in
// turns, current LibTorch threads; the sparse model runs dense kernels, so its latency is the
// dense architecture's); with `random_reinit_control: true` the test
// accuracy of a copy with the same masks, freshly re-initialised (seed + level) and trained by a
// separate in-memory Trainer for the run's T steps (doubles the training cost).
//
// Portfolio: with `portfolio: true` every level's converted model (the sparse model with
// `structural: off`) is kept with its metadata (variants()); the "prune" run extension writes
// them to the run directory (the pruner itself writes no files).
//
// Interrupts: a Ctrl-C that arrives during a level end's work is deferred to the next step, so
// the checkpoint the trainer writes is consistent (see .cpp).
#pragma once

#include <torch/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/graph_module.h"
#include "core/json.h"
#include "pruners/pruner.h"

namespace tinyprune {

class ConfigNode;

struct ImpPrunerOptions {
  int64_t levels = 10;            // pruning rounds after the dense level 0; >= 1
  double fraction = 0.2;          // (0, 1): share of the alive prunable weights pruned per level
  int64_t rewind_step = 0;        // k >= 0 (< the run's total steps, checked at train begin)
  std::optional<std::vector<std::string>> exclude;  // nullopt: per-model default (header)
  bool exact_count = false;       // true: exactly ceil(fraction * R) per level
  std::string structural = "exact";  // exact | legacy | off
  double fold_tolerance = 0.0;    // exact mode: StructuralOptions::fold_tolerance (>= 0)
  bool compare_modes = false;     // also convert with the other mode (records only)
  bool portfolio = true;          // keep every level's (converted) model as a variant
  bool random_reinit_control = false;
  int64_t latency_batch = 0;      // images per timed forward; 0 = no latency measurement
  int64_t latency_reps = 20;      // >= 1 timed forwards (median reported)
  int64_t calibration_size = 64;  // training images for the conversion's max_abs_diff
  static ImpPrunerOptions from_yaml(ConfigNode& node);
};

// n = ceil(fraction * alive) with numpy's float64 arithmetic: the OpenLTH prune count of one
// level (OpenLTH then removes n + 1 weights plus ties; exact_count removes n).
int64_t imp_prune_count(int64_t alive, double fraction);

// Prunable weights still alive after `level` levels from `total`, assuming distinct magnitudes
// (OpenLTH: n + 1 per level, exact_count: n). Throws Error when a level would prune all.
int64_t imp_expected_alive(int64_t total, double fraction, int64_t level, bool exact_count);

// One global magnitude pruning step over several tensors (algorithms.md 4.3). `weights[i]` and
// `masks[i]` (0/1 float, same shape; undefined = all ones) describe one prunable tensor; only
// alive entries (mask 1) compete. Returns the new masks (float 0/1, weights' shapes). Throws
// Error when fraction is not in (0, 1) or n >= the alive count.
std::vector<torch::Tensor> imp_global_prune(const std::vector<torch::Tensor>& weights,
                                            const std::vector<torch::Tensor>& masks, double fraction,
                                            bool exact_count);

// One portfolio entry: a level's converted (or sparse) model, eval mode, owned by the pruner
// (copies; safe to use after training). meta: level, density, sparsity, test_accuracy,
// sparse_test_accuracy, params, nonzero_params, macs, model_size_bytes, peak_memory_bytes,
// structural mode, max_abs_diff, latency_ms (when measured).
class ImpPruner : public Pruner {
 public:
  explicit ImpPruner(ImpPrunerOptions options);
  ~ImpPruner() override;

  const ImpPrunerOptions& options() const { return options_; }
  // All levels trained and evaluated.
  bool target_met() const override;
  Json summary() const override;

  // The level currently trained (0 = dense) and the records of the finished levels.
  int64_t level() const { return level_; }
  const std::vector<Json>& level_records() const { return records_; }
  // With `portfolio: true`: every level's converted model, its metadata (density, params,
  // accuracies, latency, ...) in meta. Empty otherwise.
  std::vector<PrunedVariant> variants() const override { return variants_; }
  // Node ids of the prunable tensors (valid from train begin).
  const std::vector<int>& prunable() const { return prunable_; }
  // The stored rewind state W_k by parameter / buffer name (empty before step k).
  const std::map<std::string, torch::Tensor>& rewind_state() const { return rewind_; }

 protected:
  void train_begin(TrainContext& ctx) override;
  void step_begin(TrainContext& ctx) override;
  void after_step(TrainContext& ctx) override;
  void train_end(TrainContext& ctx) override;
  void save_extra(torch::serialize::OutputArchive& archive) const override;
  void load_extra(torch::serialize::InputArchive& archive) override;

 private:
  void capture_rewind(GraphModule& model);
  void end_level(TrainContext& ctx);
  void prune_level(TrainContext& ctx);

  ImpPrunerOptions options_;
  std::vector<int> prunable_;
  std::vector<std::string> excluded_;
  int64_t prunable_weights_ = 0;
  int64_t level_ = 0;
  bool finished_ = false;
  int64_t pending_restart_ = -1;  // rewind requested, not yet executed (see .cpp)
  std::map<std::string, torch::Tensor> rewind_;
  std::vector<Json> records_;
  std::vector<PrunedVariant> variants_;
  double level_start_ = 0.0;      // steady-clock seconds at the start of the current level
};

// Registers `imp` (called by register_builtin_pruners).
class PrunerRegistry;
void register_imp_pruner(PrunerRegistry& registry);

}  // namespace tinyprune
