// Width search: per-group channel counts for a uniform pruning ratio, and the smallest ratio that
// fits a resource budget (bisection; every resource grows monotonically with the widths).
// Used by the structured baselines (l1_filter, uniform) and available to user pruners.
//
//   std::vector<int64_t> w = widths_for_ratio(groups, 0.5);          // half of every prunable group
//   double r = ratio_for_budget(resource_model, budget);              // throws if unreachable
#pragma once

#include <cstdint>
#include <vector>

#include "core/resources/channel_groups.h"
#include "core/resources/resource_model.h"
#include "pruners/budget.h"

namespace tinyprune {

// Prunable group g keeps max(1, round((1 - ratio) * C_g)) channels; fixed groups keep C_g.
// ratio in [0, 1).
std::vector<int64_t> widths_for_ratio(const ChannelGroups& groups, double ratio);

// The smallest ratio in [0, 1) (to 1e-4) whose widths meet `budget`, 0 when the full model does.
// Throws ResourceError naming the resources still over budget when even width 1 everywhere
// does not fit.
double ratio_for_budget(const ResourceModel& model, const Budget& budget);

}  // namespace tinyprune
