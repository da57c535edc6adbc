#include "core/resources/channel_groups.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace tinyprune {
namespace {

// Does node `i` pass its input channels through (same channel index on both sides)?
bool passes_channels(const Graph& g, int i) {
  const Node& n = g.node(i);
  switch (n.kind) {
    case OpKind::kInput:
    case OpKind::kLinear:
      return false;
    case OpKind::kConv2d:
      return n.is_depthwise(g.in_channels(i));
    default:
      return true;
  }
}

bool is_grouped_conv(const Graph& g, int i) {
  const Node& n = g.node(i);
  return n.kind == OpKind::kConv2d && n.groups > 1 && !n.is_depthwise(g.in_channels(i));
}

int find_root(std::vector<int>& parent, int x) {
  while (parent[static_cast<size_t>(x)] != x) {
    parent[static_cast<size_t>(x)] = parent[static_cast<size_t>(parent[static_cast<size_t>(x)])];
    x = parent[static_cast<size_t>(x)];
  }
  return x;
}

}  // namespace

ChannelGroups::ChannelGroups(const Graph& graph) {
  const int n = graph.size();
  TP_CHECK_T(GraphError, n > 0, "channel groups need a non-empty graph");
  std::vector<int> parent(static_cast<size_t>(n));
  std::iota(parent.begin(), parent.end(), 0);
  multiplier_.assign(static_cast<size_t>(n), 1);
  for (int i = 0; i < n; ++i) {
    const Node& node = graph.node(i);
    if (!passes_channels(graph, i)) continue;
    for (int in : node.inputs) {
      const int a = find_root(parent, i), b = find_root(parent, in);
      if (a != b) parent[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
    }
    multiplier_[static_cast<size_t>(i)] = multiplier_[static_cast<size_t>(node.inputs[0])];
    if (node.kind == OpKind::kFlatten) {
      const TensorShape& s = graph.node(node.inputs[0]).shape;
      multiplier_[static_cast<size_t>(i)] *= s.h * s.w;
    }
  }

  // Number groups by their smallest node id (so groups come in definition order).
  group_of_.assign(static_cast<size_t>(n), -1);
  std::vector<int> root_group(static_cast<size_t>(n), -1);
  for (int i = 0; i < n; ++i) {
    const int r = find_root(parent, i);
    if (root_group[static_cast<size_t>(r)] < 0) {
      root_group[static_cast<size_t>(r)] = size();
      ChannelGroup grp;
      grp.id = size();
      groups_.push_back(std::move(grp));
    }
    const int gid = root_group[static_cast<size_t>(r)];
    group_of_[static_cast<size_t>(i)] = gid;
    ChannelGroup& grp = groups_[static_cast<size_t>(gid)];
    grp.members.push_back(i);
    const Node& node = graph.node(i);
    const bool producer = node.kind == OpKind::kLinear || (node.kind == OpKind::kConv2d && !passes_channels(graph, i));
    if (producer) grp.producers.push_back(i);
  }

  const int out = graph.output();
  for (ChannelGroup& grp : groups_) {
    const int first = grp.members.front();
    grp.name = grp.producers.empty() ? graph.node(first).name : graph.node(grp.producers.front()).name;
    grp.channels = graph.node(first).shape.c / multiplier_[static_cast<size_t>(first)];
    for (int m : grp.members) {
      const int64_t c = graph.node(m).shape.c;
      TP_CHECK_T(GraphError, c == grp.channels * multiplier_[static_cast<size_t>(m)], "channel group \"", grp.name,
                 "\": node \"", graph.node(m).name, "\" has ", c, " channels, expected ",
                 grp.channels * multiplier_[static_cast<size_t>(m)], " (tied channels must have equal widths)");
    }
    auto fix = [&](const std::string& why) {
      if (grp.prunable) grp.fixed_reason = why;
      grp.prunable = false;
    };
    if (group_of_[0] == grp.id) fix("comes from the network input");
    if (group_of_[static_cast<size_t>(out)] == grp.id)
      fix(str_cat("reaches the network output \"", graph.node(out).name, "\""));
    for (int p : grp.producers)
      if (is_grouped_conv(graph, p))
        fix(str_cat("produced by grouped conv \"", graph.node(p).name, "\" (groups=", graph.node(p).groups, ")"));
  }

  // Consumers: the cut edges (a standard/grouped conv or a linear reading a member of another group).
  for (int i = 0; i < n; ++i) {
    if (passes_channels(graph, i)) continue;
    for (int in : graph.node(i).inputs) {
      ChannelGroup& grp = groups_[static_cast<size_t>(group_of_[static_cast<size_t>(in)])];
      grp.consumers.push_back({i, in, multiplier_[static_cast<size_t>(in)]});
      if (is_grouped_conv(graph, i) && grp.prunable) {
        grp.prunable = false;
        grp.fixed_reason = str_cat("read by grouped conv \"", graph.node(i).name, "\" (groups=", graph.node(i).groups,
                                   ")");
      }
    }
  }
}

const ChannelGroup& ChannelGroups::group(int id) const {
  TP_CHECK_T(ResourceError, id >= 0 && id < size(), "channel group id ", id, " out of range [0, ", size(), ")");
  return groups_[static_cast<size_t>(id)];
}

int ChannelGroups::find(std::string_view name) const {
  for (const ChannelGroup& g : groups_)
    if (g.name == name) return g.id;
  return -1;
}

int ChannelGroups::group_of(int node) const {
  TP_CHECK_T(ResourceError, node >= 0 && node < static_cast<int>(group_of_.size()), "node id ", node,
             " out of range [0, ", group_of_.size(), ")");
  return group_of_[static_cast<size_t>(node)];
}

std::vector<int64_t> ChannelGroups::original_widths() const {
  std::vector<int64_t> w;
  for (const ChannelGroup& g : groups_) w.push_back(g.channels);
  return w;
}

void ChannelGroups::validate_widths(const std::vector<int64_t>& widths) const {
  TP_CHECK_T(ResourceError, widths.size() == groups_.size(), "expected one width per channel group (", size(),
             " groups), got ", widths.size());
  for (const ChannelGroup& g : groups_) {
    const int64_t w = widths[static_cast<size_t>(g.id)];
    if (!g.prunable)
      TP_CHECK_T(ResourceError, w == g.channels, "channel group \"", g.name, "\" (id ", g.id, ") is not prunable (",
                 g.fixed_reason, "): its width must stay ", g.channels, ", got ", w);
    else
      TP_CHECK_T(ResourceError, w >= 1 && w <= g.channels, "channel group \"", g.name, "\" (id ", g.id, "): width ",
                 w, " is out of range [1, ", g.channels, "]");
  }
}

std::vector<int64_t> ChannelGroups::widths_from_multipliers(const std::vector<double>& pi) const {
  TP_CHECK_T(ResourceError, pi.size() == groups_.size(), "expected one width multiplier per channel group (", size(),
             " groups), got ", pi.size());
  std::vector<int64_t> widths;
  for (const ChannelGroup& g : groups_) {
    const double p = pi[static_cast<size_t>(g.id)];
    if (!g.prunable)
      TP_CHECK_T(ResourceError, p == 1.0, "channel group \"", g.name, "\" (id ", g.id, ") is not prunable (",
                 g.fixed_reason, "): its width multiplier must stay 1, got ", p);
    TP_CHECK_T(ResourceError, std::isfinite(p) && p > 0.0 && p <= 1.0, "channel group \"", g.name, "\" (id ", g.id,
               "): width multiplier ", p, " is out of range (0, 1]");
    const double c = static_cast<double>(g.channels);
    widths.push_back(std::max<int64_t>(1, static_cast<int64_t>(std::floor(p * c + 1e-9 * c))));
  }
  return widths;
}

}  // namespace tinyprune
