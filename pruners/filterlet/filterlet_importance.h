// Filterlet and filter importance for DTMM pruning (algorithms.md 1.3).
//
// Per weight of a conv W [Cout, Cin, KH, KW] the first-order Taylor score t = w * g, with g the
// gradient of the cross-entropy averaged over the validation split (average_gradients(),
// pruners/importance.h); "l1" uses t = |w| instead (no data needed). Aggregates, all >= 0:
//   filterlet [Cout, KH, KW]: sum_c |t[o, c, kh, kw]|
//   filter    [Cout]:         sum_{c,kh,kw} |t|            (FilterScoreForm::kSumAbs, default)
//                             |sum_{c,kh,kw} t|            (kAbsSum, the older DTMM helper's form)
//   group     [C_g]:          sum of the filter scores of the group's producers (residual-coupled
//                             convs share one filter ranking and so one mask)
// Scores are float64 (CPU) so that rankings do not depend on float32 summation order.
//
// Usage:
//   auto grads = average_gradients(model, *val, /*batches=*/0, /*batch_size=*/64);
//   FilterletImportance imp = taylor_importance(model, groups, units, grads, FilterScoreForm::kSumAbs);
//   imp.filterlet.at(conv);  imp.group.at(g);
#pragma once

#include <torch/types.h>

#include <map>
#include <string>

#include "core/graph_module.h"
#include "core/resources/channel_groups.h"
#include "pruners/filterlet/filterlet_units.h"

namespace tinyprune {

enum class FilterScoreForm { kSumAbs, kAbsSum };

// "sum_abs" | "abs_sum"; throws Error otherwise.
FilterScoreForm filter_score_form(const std::string& name);

// w, g: [Cout, Cin, KH, KW] (same shape). Returns float64 [Cout, KH, KW] / [Cout].
torch::Tensor taylor_filterlet_scores(const torch::Tensor& w, const torch::Tensor& g);
torch::Tensor taylor_filter_scores(const torch::Tensor& w, const torch::Tensor& g, FilterScoreForm form);

struct FilterletImportance {
  std::map<int, torch::Tensor> filterlet;  // conv node -> [Cout, KH, KW] (units.filterlet_convs)
  std::map<int, torch::Tensor> filter;     // conv node -> [Cout] (every producer of units.filter_groups)
  std::map<int, torch::Tensor> group;      // group id -> [C_g] (units.filter_groups)
};

// Taylor importance from averaged gradients keyed "<node>.weight" (average_gradients()).
// Throws Error naming the layer when a gradient is missing or has the wrong shape.
FilterletImportance taylor_importance(GraphModule& model, const ChannelGroups& groups, const FilterletUnits& units,
                                      const std::map<std::string, torch::Tensor>& grads, FilterScoreForm form);
// The same aggregation of t = |w| (magnitude; no gradients).
FilterletImportance magnitude_importance(GraphModule& model, const ChannelGroups& groups, const FilterletUnits& units);

}  // namespace tinyprune
