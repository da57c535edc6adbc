// ChannelGroups: the sets of channels that must be pruned together (algorithms.md 2.9).
//
// Built once from the Graph by connected components over "channel i here is channel i there":
//   * BN, ReLU/ReLU6, pools, global pool, Dropout and Add pass channels through (an Add ties BOTH
//     summands' producers, so residual branches share one group);
//   * a depthwise conv ties its input and output channels;
//   * a standard (or grouped) conv and a Linear cut the link: their output channels are a new
//     group, their input channels are determined by the group they read (they are its consumers);
//   * Flatten passes channels through in blocks: flat feature c*H*W + h*W + w belongs to channel c,
//     so a Flatten's width is (group width) * H*W and a Linear reading it loses whole blocks.
// Every node belongs to exactly one group (node 0's group holds the input's channels).
//
// A group is not prunable (its width is fixed at the original) when it comes from the network
// input, reaches the network output (logits), or is produced/read by a grouped (non-depthwise)
// conv, whose channel counts must stay multiples of `groups`.
//
// Widths are per group: integers in [1, C_g] (C_g = original width), or continuous multipliers
// pi_g in (0, 1] deployed as max(1, floor(pi_g*C_g)). Non-prunable groups must keep C_g (pi = 1).
//
// Usage:
//   ChannelGroups groups(graph);
//   int g = groups.group_of(graph.at("conv3"));
//   std::vector<int64_t> w = groups.original_widths();  w[g] = 16;
//   groups.validate_widths(w);   // ResourceError naming the group and the value
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/graph.h"

namespace tinyprune {

// A node outside the group whose INPUT channels the group determines.
struct GroupConsumer {
  int node = 0;         // the consuming conv / linear
  int input = 0;        // the member node it reads
  int64_t block = 1;    // consumer input features per group channel (H*W after a Flatten, else 1)
};

struct ChannelGroup {
  int id = 0;
  std::string name;           // the first producer's name ("input" for the input's group)
  int64_t channels = 0;       // original width C_g
  bool prunable = true;
  std::string fixed_reason;   // why not prunable ("" when prunable)
  std::vector<int> producers; // convs (non-depthwise) / linears whose output channels are this group
  std::vector<int> members;   // every node whose output channels belong to the group (ascending)
  std::vector<GroupConsumer> consumers;  // by node id
};

class ChannelGroups {
 public:
  explicit ChannelGroups(const Graph& graph);

  int size() const { return static_cast<int>(groups_.size()); }
  const std::vector<ChannelGroup>& groups() const { return groups_; }
  const ChannelGroup& group(int id) const;
  // Group id by name; -1 when absent.
  int find(std::string_view name) const;
  // The group holding node `node`'s output channels.
  int group_of(int node) const;
  // Output channels of `node` per group channel (H*W product for Flatten chains, else 1).
  int64_t channel_multiplier(int node) const { return multiplier_[static_cast<size_t>(node)]; }

  std::vector<int64_t> original_widths() const;
  std::vector<double> unit_multipliers() const { return std::vector<double>(groups_.size(), 1.0); }
  // Throws ResourceError unless widths has one entry per group, each prunable width is in
  // [1, C_g] and each fixed group keeps C_g. Messages name the group, its id and the value.
  void validate_widths(const std::vector<int64_t>& widths) const;
  // max(1, floor(pi_g*C_g)) per group (a 1e-9 slack absorbs float noise such as 0.7*10 = 6.99..).
  // Throws ResourceError for pi outside (0, 1] or != 1 on a fixed group.
  std::vector<int64_t> widths_from_multipliers(const std::vector<double>& pi) const;

  // Output channels of `node` at the given group widths.
  int64_t channels(int node, const std::vector<int64_t>& widths) const {
    return widths[static_cast<size_t>(group_of(node))] * channel_multiplier(node);
  }

 private:
  std::vector<ChannelGroup> groups_;
  std::vector<int> group_of_;
  std::vector<int64_t> multiplier_;
};

}  // namespace tinyprune
