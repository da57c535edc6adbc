// Filterlet pruning units and mask construction (algorithms.md 1.2, 1.4).
//
// Which layers: a *filterlet conv* is a standard conv (groups 1) with a kernel larger than 1x1;
// 1x1 convs (a filterlet would be the whole filter) are only filter-pruned, depthwise and
// grouped convs are never filterlet-pruned. A *filter group* is a prunable channel group
// (core/resources/channel_groups.h) whose producers are all standard convs; filter pruning removes
// channels of the whole group (every producer's filter, BN entries, consumers' input channels),
// so residual-coupled convs share one mask. Groups produced by a Linear (classifier) are left alone.
//
// Masks for given counts (see DtmmScheduler for how fractions become counts):
//   filter_keep_mask      keeps all but the `remove` lowest-scoring channels (at most C-1 removed);
//   filterlet_keep_mask   zero for every filterlet of a removed filter; among surviving filters
//                         each keeps its best filterlet, and the `remove` lowest-scoring of the
//                         others go (at most (K-1) per surviving filter in total).
// Ties are broken deterministically: among equal scores the lower flat index is removed first
// (and, for the protected best filterlet, the lower index is kept).
//
// Usage:
//   FilterletUnits u = filterlet_units(graph, groups, /*exclude=*/{});
//   torch::Tensor keep = filter_keep_mask(scores, /*remove=*/3);                 // [C] 0/1 float
//   torch::Tensor flet = filterlet_keep_mask(flet_scores, keep_rows, /*remove=*/40);  // [Cout,KH,KW]
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/resources/channel_groups.h"

namespace tinyprune {

struct FilterletUnits {
  std::vector<int> filterlet_convs;  // conv node ids, ascending
  std::vector<int> filter_groups;    // channel group ids, ascending
};

// `exclude`: node names kept whole (no filterlet pruning; a group is not filter-pruned when one
// of its producers is excluded). Throws Error for a name that is not a conv of the graph.
FilterletUnits filterlet_units(const Graph& graph, const ChannelGroups& groups,
                               const std::vector<std::string>& exclude = {});

// Flat indices of the k lowest entries of `scores` (any shape), ascending by (score, index).
std::vector<int64_t> lowest_indices(const torch::Tensor& scores, int64_t k);

// scores [C]; returns float 0/1 [C] with exactly min(remove, C-1) zeros.
torch::Tensor filter_keep_mask(const torch::Tensor& scores, int64_t remove);
// scores [Cout, KH, KW], filter_keep [Cout] 0/1; returns float 0/1 [Cout, KH, KW].
torch::Tensor filterlet_keep_mask(const torch::Tensor& scores, const torch::Tensor& filter_keep, int64_t remove);

}  // namespace tinyprune
