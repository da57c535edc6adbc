// DNNShifter structural conversion (algorithms.md 5.3-5.6): a sparse model (unstructured masks,
// e.g. an IMP level) -> a genuinely smaller dense model, without fine-tuning.
//
// Unstructured pruning leaves whole channels that no longer matter. Per channel group
// (core/resources/channel_groups.h) a channel c is removable when every consumer of the group
// either
//   * reads no weight of c (its weight columns of c are all zero: a "dead input channel"), or
//   * sees c as a constant: c's value is spatially constant where the consumer reads it because
//     every producer's filter c is zero (output = bias), or a depthwise member's filter c is zero,
//     and the constant flows through BN / ReLU / pools / Adds of the group (BN in eval mode:
//     running statistics).
// Residual groups therefore lose a channel only when it is removable in every member (an Add of a
// constant and a live channel is live). Removing a channel zeroes its consumers' columns and its
// producers' rows, which can expose further dead inputs or zero filters, so the rules run to a
// fixpoint. Every group keeps at least one channel. The result is compacted (pruners/compaction.h).
//
// Modes:
//   legacy  DNNShifter: a constant channel is dropped even when its constant is not zero (BN beta,
//           conv bias), so the converted model differs from the sparse one by that constant's
//           contribution.
//   exact   the constant v_c is folded into each consumer that reads it: a conv's bias gains
//           v_c * sum_{kh,kw} W[o, c, kh, kw], a Linear behind a Flatten v_c * the sum of c's whole
//           block; a consumer without bias whose only reader is a BatchNorm gets it folded into
//           that BN's running_mean (mean -= delta; eval-mode semantics). A bias is the same at
//           every pixel, but at a zero-padded border some taps read the padding's 0 instead of
//           v_c, so a fold into a padded consumer (and a constant carried through a padded
//           depthwise conv or avg pool) is taken only when that border error, bounded by
//           |v_c| * max_o sum |W[o, c, taps that read padding]|, is within `fold_tolerance`
//           (default 0: only v_c == 0, e.g. a constant cut by ReLU, or a channel the consumer
//           reads through taps that never reach the padding). Other constant channels are kept (a
//           per-channel fallback), so the converted model equals the sparse one up to float
//           rounding and the tolerance; max_abs_diff measures it on a calibration batch. (Folding
//           every constant regardless of padding was tried first: on IMP models the border errors
//           passed through BNs with tiny running variance and reached 1e5 at the logits.)
// Dead input channels are exact in both modes. No fine-tuning happens here.
//
// Usage:
//   StructuralOptions opt;  opt.mode = StructuralMode::kExact;
//   StructuralResult r = structural_convert(sparse, opt, calibration_images);   // [N, C, H, W]
//   r.model->forward(x);   // smaller; r.params_after < r.params_before; r.max_abs_diff
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/graph_module.h"
#include "core/json.h"
#include "pruners/mask_set.h"

namespace tinyprune {

enum class StructuralMode { kLegacy, kExact };

// "legacy" / "exact".
std::string_view structural_mode_name(StructuralMode mode);
// Throws ConfigError naming the value and listing the known modes.
StructuralMode structural_mode_from_name(std::string_view name);

struct StructuralOptions {
  StructuralMode mode = StructuralMode::kExact;
  double zero_threshold = 0.0;  // a weight counts as zero when |w| <= zero_threshold; >= 0
  double fold_tolerance = 0.0;  // exact mode: bound on a fold's error at padded borders; >= 0
  int max_rounds = 10000;       // fixpoint passes over all groups (each productive pass removes >= 1 channel)
};

// What conversion removed from one prunable channel group (original channel indices).
struct GroupRemoval {
  int group = 0;
  std::string name;                 // the group's name (its first producer)
  int64_t channels_before = 0;
  std::vector<int64_t> removed;     // ascending
  int64_t folded = 0;               // removed channels whose constant was folded (exact mode)
};

struct StructuralResult {
  GraphModule model{nullptr};       // the compacted model (training mode copied from the input)
  MaskSet masks;                    // weight / filterlet masks of the compacted graph (from `masks`)
  StructuralMode mode = StructuralMode::kExact;
  std::vector<GroupRemoval> groups; // every prunable group, in group order
  int64_t channels_removed = 0;
  int64_t params_before = 0;        // Graph::param_count of the sparse and the converted graph
  int64_t params_after = 0;
  int64_t nonzero_weights_before = 0;  // non-zero conv/linear weights (after masks); conversion
  int64_t nonzero_weights_after = 0;   // drops those of unused filters and of folded columns
  int rounds = 0;                   // fixpoint passes that removed something
  double max_abs_diff = 0.0;        // max |sparse(x) - converted(x)| on the calibration batch, both
                                    // in eval mode; NaN without a calibration batch
  double seconds = 0.0;             // analysis + folding + compaction (calibration pass excluded)

  double compression() const {
    return params_after > 0 ? static_cast<double>(params_before) / static_cast<double>(params_after) : 0.0;
  }
  // {"mode", "params_before", "params_after", "compression", "channels_removed", "rounds",
  //  "max_abs_diff", "seconds", "groups": {name: removed count}}
  Json to_json() const;
};

// Converts `sparse` (left unchanged; its training flag is restored after the calibration pass).
// `masks` (optional) must describe sparse's graph: its weight / filterlet masks are applied to the
// copied weights and carried into the result, its channel masks are compacted first. Without it
// the model must carry no output masks (Error otherwise). `calibration` ([N, C, H, W] float, or
// undefined) measures max_abs_diff. Throws GraphError for a malformed mask set.
StructuralResult structural_convert(GraphModule& sparse, const StructuralOptions& options = {},
                                    const torch::Tensor& calibration = torch::Tensor(),
                                    const MaskSet* masks = nullptr);

}  // namespace tinyprune
