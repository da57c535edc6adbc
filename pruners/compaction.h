// Physical compaction: a channel-masked model -> a genuinely smaller dense model (algorithms.md
// 2.10) that computes the same function.
//
// For every channel group with a channel mask (MaskSet, [C_g] 0/1), with kept channels K:
//   * every member conv/linear loses the other output channels (weight rows, bias), every member
//     BN the same entries (gamma, beta, running mean/var), a depthwise member loses them on both
//     sides (and its `groups`);
//   * every consumer (GroupConsumer) loses the matching input channels: a conv its weight
//     columns [:, K], a Linear behind a Flatten whole blocks of `block` features per channel;
//   * residual groups (Adds) are consistent by construction: all members share one mask.
// Node ids, names and kinds are unchanged; only channel counts shrink, so checkpoints, masks and
// the exporter keep addressing nodes by name. Weight and filterlet masks are sliced alongside.
// Exact because masks act after BN and every activation maps 0 to 0 (pruners/mask_set.h):
// compacted and masked models agree to float rounding (tests: max |diff| <= 1e-5). The copied
// weights are multiplied by their weight / filterlet masks (so the result is right even if
// MaskSet::apply has not run); output masks the model carries besides the MaskSet are dropped.
// The result has the input's dtype and device; building it does not advance LibTorch's global
// RNG (a seeded run continues identically). An unmasked MaskSet gives an exact copy.
//
// Usage:
//   CompactionResult c = compact(model, masks);
//   c.model->forward(x);                 // smaller; c.masks holds the remaining weight masks
#pragma once

#include <vector>

#include "core/graph_module.h"
#include "pruners/mask_set.h"

namespace tinyprune {

struct CompactionResult {
  GraphModule model{nullptr};   // new module (training mode copied from the input), no output masks
  MaskSet masks;                // weight + filterlet masks of the compacted graph, no channel masks
  std::vector<int64_t> widths;  // per channel group, after compaction
};

// Kept channel indices (ascending) of every group: mask > 0.5, or all channels when unmasked.
std::vector<std::vector<int64_t>> kept_channels(const MaskSet& masks);

// Throws GraphError when masks do not describe `model`'s graph or a group keeps no channel.
CompactionResult compact(GraphModule& model, const MaskSet& masks);

}  // namespace tinyprune
