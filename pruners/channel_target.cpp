#include "pruners/channel_target.h"

#include "core/config_node.h"
#include "core/resources/resource_model.h"
#include "pruners/width_search.h"

namespace tinyprune {

ChannelTarget ChannelTarget::from_yaml(ConfigNode& node) {
  ChannelTarget t;
  const bool has_ratio = node.has("ratio"), has_budget = node.has("budget");
  if (has_ratio == has_budget)
    throw node.error(has_ratio ? "budget" : "ratio",
                     "expected exactly one of 'ratio' (fraction of channels removed) or 'budget' "
                     "({model_size_kb, peak_memory_kb, macs})");
  if (has_ratio) t.ratio = node.get_double("ratio", 0.5, 0.0, 1.0, false, /*max_open=*/true);
  ConfigNode b = node.child("budget");
  t.budget = Budget::from_yaml(b);
  if (has_budget && t.budget.empty())
    throw node.error("budget", "expected at least one of model_size_kb, peak_memory_kb, macs");
  return t;
}

std::vector<int64_t> ChannelTarget::widths(const ResourceModel& model) const {
  return widths_for_ratio(model.groups(), ratio ? *ratio : ratio_for_budget(model, budget));
}

bool ChannelTarget::met(const ResourceModel& model, const std::vector<int64_t>& kept) const {
  if (!ratio) return budget.met_by(model.evaluate(kept));
  const std::vector<int64_t> want = widths_for_ratio(model.groups(), *ratio);
  for (size_t g = 0; g < want.size(); ++g)
    if (kept[g] > want[g]) return false;
  return true;
}

Json ChannelTarget::to_json(const ResourceModel& model, const std::vector<int64_t>& kept) const {
  Json j = Json::object();
  if (ratio) j["ratio"] = *ratio;
  else j["budget"] = budget.to_json(model.evaluate(kept));
  return j;
}

}  // namespace tinyprune
