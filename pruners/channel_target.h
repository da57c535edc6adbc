// ChannelTarget: how far a structured baseline shrinks the channel groups — a uniform `ratio` of
// every prunable group's channels, or the smallest uniform ratio that fits a resource `budget`
// (pruners/width_search.h). Exactly one of the two is given:
//   prune: {method: l1_filter, ratio: 0.5}
//   prune: {method: uniform, budget: {model_size_kb: 64, peak_memory_kb: 32}}
#pragma once

#include <optional>
#include <vector>

#include "core/json.h"
#include "pruners/budget.h"

namespace tinyprune {

class ConfigNode;
class ResourceModel;

struct ChannelTarget {
  std::optional<double> ratio;  // [0, 1)
  Budget budget;

  // Throws ConfigError (file:line) unless exactly one of ratio / budget is present.
  static ChannelTarget from_yaml(ConfigNode& node);
  // Target widths per group for `model`'s graph; throws ResourceError for an unreachable budget.
  std::vector<int64_t> widths(const ResourceModel& model) const;
  // Whether the given kept widths meet the target.
  bool met(const ResourceModel& model, const std::vector<int64_t>& kept) const;
  // {"ratio": r} or {"budget": Budget::to_json(...)} at the kept widths.
  Json to_json(const ResourceModel& model, const std::vector<int64_t>& kept) const;
};

}  // namespace tinyprune
