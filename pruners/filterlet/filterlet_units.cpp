#include "pruners/filterlet/filterlet_units.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "core/error.h"

namespace tinyprune {
namespace {

std::vector<double> to_doubles(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kDouble).contiguous().view({-1});
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// Indices `cand` sorted by (score, index) ascending.
void sort_by_score(std::vector<int64_t>& cand, const std::vector<double>& s) {
  std::sort(cand.begin(), cand.end(), [&s](int64_t a, int64_t b) {
    const double x = s[static_cast<size_t>(a)], y = s[static_cast<size_t>(b)];
    return x < y || (x == y && a < b);
  });
}

bool is_standard_conv(const Node& n) { return n.kind == OpKind::kConv2d && n.groups == 1; }

}  // namespace

FilterletUnits filterlet_units(const Graph& graph, const ChannelGroups& groups, const std::vector<std::string>& exclude) {
  std::set<int> excluded;
  for (const std::string& name : exclude) {
    const int id = graph.find(name);
    TP_CHECK(id >= 0 && graph.node(id).kind == OpKind::kConv2d, "filterlet pruner: exclude: \"", name,
             "\" is not a conv of the model");
    excluded.insert(id);
  }
  FilterletUnits u;
  for (int id = 0; id < graph.size(); ++id) {
    const Node& n = graph.node(id);
    if (is_standard_conv(n) && n.kernel_h * n.kernel_w > 1 && !excluded.count(id)) u.filterlet_convs.push_back(id);
  }
  for (const ChannelGroup& g : groups.groups()) {
    if (!g.prunable || g.producers.empty() || g.channels < 2) continue;
    const bool ok = std::all_of(g.producers.begin(), g.producers.end(), [&](int p) {
      return is_standard_conv(graph.node(p)) && !excluded.count(p);
    });
    if (ok) u.filter_groups.push_back(g.id);
  }
  return u;
}

std::vector<int64_t> lowest_indices(const torch::Tensor& scores, int64_t k) {
  const std::vector<double> s = to_doubles(scores);
  std::vector<int64_t> idx(s.size());
  std::iota(idx.begin(), idx.end(), int64_t{0});
  sort_by_score(idx, s);
  idx.resize(static_cast<size_t>(std::clamp<int64_t>(k, 0, static_cast<int64_t>(s.size()))));
  return idx;
}

torch::Tensor filter_keep_mask(const torch::Tensor& scores, int64_t remove) {
  TP_CHECK(scores.dim() == 1 && scores.size(0) >= 1, "filter_keep_mask: expected scores [C], got ", scores.sizes());
  const int64_t c = scores.size(0);
  torch::Tensor keep = torch::ones({c}, torch::kFloat);
  auto a = keep.accessor<float, 1>();
  for (int64_t i : lowest_indices(scores, std::clamp<int64_t>(remove, 0, c - 1))) a[i] = 0.0f;
  return keep;
}

torch::Tensor filterlet_keep_mask(const torch::Tensor& scores, const torch::Tensor& filter_keep, int64_t remove) {
  TP_CHECK(scores.dim() == 3, "filterlet_keep_mask: expected scores [Cout, KH, KW], got ", scores.sizes());
  const int64_t cout = scores.size(0), taps = scores.size(1) * scores.size(2);
  TP_CHECK(filter_keep.dim() == 1 && filter_keep.size(0) == cout, "filterlet_keep_mask: expected filter_keep [",
           cout, "], got ", filter_keep.sizes());
  const std::vector<double> s = to_doubles(scores);
  const std::vector<double> f = to_doubles(filter_keep);
  torch::Tensor keep = torch::ones({cout, scores.size(1), scores.size(2)}, torch::kFloat);
  float* k = keep.data_ptr<float>();
  std::vector<int64_t> cand;
  for (int64_t o = 0; o < cout; ++o) {
    const int64_t base = o * taps;
    if (f[static_cast<size_t>(o)] < 0.5) {
      std::fill(k + base, k + base + taps, 0.0f);
      continue;
    }
    // The filter's best filterlet stays, so a surviving filter never degenerates to its bias.
    int64_t best = base;
    for (int64_t t = base + 1; t < base + taps; ++t)
      if (s[static_cast<size_t>(t)] > s[static_cast<size_t>(best)]) best = t;
    for (int64_t t = base; t < base + taps; ++t)
      if (t != best) cand.push_back(t);
  }
  sort_by_score(cand, s);
  const auto n = static_cast<size_t>(std::clamp<int64_t>(remove, 0, static_cast<int64_t>(cand.size())));
  for (size_t i = 0; i < n; ++i) k[cand[i]] = 0.0f;
  return keep;
}

}  // namespace tinyprune
