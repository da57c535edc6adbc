#include "pruners/width_search.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace tinyprune {

std::vector<int64_t> widths_for_ratio(const ChannelGroups& groups, double ratio) {
  TP_CHECK(ratio >= 0.0 && ratio < 1.0, "pruning ratio must be in [0, 1), got ", ratio);
  std::vector<int64_t> w = groups.original_widths();
  for (const ChannelGroup& g : groups.groups())
    if (g.prunable)
      w[static_cast<size_t>(g.id)] =
          std::max<int64_t>(1, std::llround((1.0 - ratio) * static_cast<double>(g.channels)));
  return w;
}

double ratio_for_budget(const ResourceModel& model, const Budget& budget) {
  const ChannelGroups& groups = model.groups();
  auto fits = [&](double r) { return budget.met_by(model.evaluate(widths_for_ratio(groups, r))); };
  if (fits(0.0)) return 0.0;
  // Width 1 in every prunable group: the smallest model structured pruning can reach.
  std::vector<int64_t> minimal = groups.original_widths();
  for (const ChannelGroup& g : groups.groups())
    if (g.prunable) minimal[static_cast<size_t>(g.id)] = 1;
  const ResourceReport smallest = model.evaluate(minimal);
  TP_CHECK_T(ResourceError, budget.met_by(smallest), "budget unreachable: even with one channel per prunable group ",
             budget.violations(smallest));
  double lo = 0.0, hi = 1.0 - 1e-9;  // fits(hi) holds: round((1-hi)*C) = 0 -> 1 channel
  while (hi - lo > 1e-4) {
    const double mid = 0.5 * (lo + hi);
    (fits(mid) ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace tinyprune
