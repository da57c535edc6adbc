// MaskSet: every mask a pruner holds over one GraphModule, at three granularities.
//
//   weight mask     per weight of a conv/linear node: float 0/1 of the weight's shape
//                   (unstructured pruning: magnitude, IMP);
//   filterlet mask  per (filter, kernel position) of a conv node: float 0/1 [Cout, KH, KW]; it
//                   zeroes W[o, :, kh, kw] (DTMM filterlets; contiguous in the exporter's OHWI);
//   channel mask    per channel group (core/resources/channel_groups.h): float 0/1 [C_g]. It is
//                   applied to the *outputs* of the group's members after BN (GraphModule output
//                   masks), so a pruned channel is exactly 0 whatever BN's beta is and compaction
//                   (pruners/compaction.h) removes it without changing the network's function.
//
// The invariant pruned weights stay exactly 0 through SGD momentum and weight decay is kept by
// two calls the Pruner base class makes on every step: mask_gradients() after backward (so the
// optimizer state of pruned weights does not grow) and apply() after the optimizer step (momentum
// accumulated before the weight was pruned would otherwise move it again).
//
// A mask tensor is 1 where the unit is kept. Masks are checkpointed by save()/load() and keyed by
// node / group names, so a checkpoint of a compacted graph (same names) restores them.
//
// Usage:
//   MaskSet masks(model->graph());
//   masks.set_weight_mask(g.at("conv1"), w.abs().gt(thr).to(torch::kFloat));
//   masks.set_channel_mask(groups.find("conv2"), keep);   // [C_g]
//   masks.apply(model);                                   // zero weights, set output masks
#pragma once

#include <torch/serialize/archive.h>
#include <torch/types.h>

#include <map>
#include <string>

#include "core/graph_module.h"
#include "core/json.h"
#include "core/resources/channel_groups.h"

namespace tinyprune {

struct SparsityReport;

// Masks read from a checkpoint, keyed by node / group name; restored onto a graph by
// MaskSet::restore() once the graph is known (a resumed run may have a compacted graph).
struct StoredMasks {
  std::map<std::string, torch::Tensor> weight, filterlet, channel;
  bool empty() const { return weight.empty() && filterlet.empty() && channel.empty(); }
};

class MaskSet {
 public:
  explicit MaskSet(const Graph& graph);

  const Graph& graph() const { return graph_; }
  const ChannelGroups& groups() const { return groups_; }

  // Throws GraphError when the node is not a conv/linear or the shape does not match.
  void set_weight_mask(int node, torch::Tensor mask);          // weight's shape
  void set_filterlet_mask(int node, torch::Tensor mask);       // [Cout, KH, KW], conv only
  void set_channel_mask(int group, torch::Tensor mask);        // [C_g]; group must be prunable
  void clear_weight_mask(int node);
  void clear_filterlet_mask(int node);
  void clear_channel_mask(int group);
  void clear();

  // Undefined tensor when the node/group has no mask of that kind.
  torch::Tensor weight_mask(int node) const;
  torch::Tensor filterlet_mask(int node) const;
  torch::Tensor channel_mask(int group) const;
  const std::map<int, torch::Tensor>& weight_masks() const { return weight_; }
  const std::map<int, torch::Tensor>& filterlet_masks() const { return filterlet_; }
  const std::map<int, torch::Tensor>& channel_masks() const { return channel_; }
  bool empty() const { return weight_.empty() && filterlet_.empty() && channel_.empty(); }

  // The product of a node's weight and filterlet masks in the weight's shape; undefined when the
  // node has neither. Channel masks act on outputs only (a channel a later update revives keeps
  // its weights), so they are not part of it.
  torch::Tensor effective_weight_mask(int node) const;
  // effective_weight_mask times the channel masks of the node's output group (rows) and input
  // group (columns, repeated over Flatten blocks): the weights compaction keeps. Always defined.
  torch::Tensor counting_mask(int node) const;
  // Conv/linear nodes with a weight or filterlet mask, ascending.
  std::vector<int> masked_nodes() const;

  // apply_weights + apply_output_masks. The model must run `graph()` (same node ids and shapes).
  void apply(GraphModule& model) const;
  // Zeroes masked weights in place (no autograd).
  void apply_weights(GraphModule& model) const;
  // Replaces the model's output masks by the channel masks, set after BN (see the class comment).
  void apply_output_masks(GraphModule& model) const;
  // grad *= mask for every masked weight (no-op for weights without a gradient).
  void mask_gradients(GraphModule& model) const;

  // Kept widths per group (mask sum, C_g where unmasked): the widths compaction will produce.
  std::vector<int64_t> kept_widths() const;

  // Weight sparsity as compaction will see it: zeros of weight * counting_mask per conv/linear.
  SparsityReport sparsity(GraphModule& model) const;

  void save(torch::serialize::OutputArchive& archive) const;
  // Reads what save() wrote (empty when the archive holds no masks).
  static StoredMasks read(torch::serialize::InputArchive& archive);
  // Replaces every mask. Throws Error when a stored node/group name does not exist in graph()
  // or a shape does not match.
  void restore(const StoredMasks& stored);
  void load(torch::serialize::InputArchive& archive);  // restore(read(archive))

 private:
  void check_node(int node, const char* what) const;
  Graph graph_;
  ChannelGroups groups_;
  std::map<int, torch::Tensor> weight_;
  std::map<int, torch::Tensor> filterlet_;
  std::map<int, torch::Tensor> channel_;
};

// Sparsity of a model's prunable weights (conv and linear weights): zeros / total, overall and
// per layer, counted on the weights themselves (so it also sees channel masks after compaction).
struct LayerSparsity {
  std::string name;
  int64_t weights = 0;
  int64_t zeros = 0;
  double sparsity() const { return weights > 0 ? static_cast<double>(zeros) / static_cast<double>(weights) : 0.0; }
};
struct SparsityReport {
  int64_t weights = 0;
  int64_t zeros = 0;
  std::vector<LayerSparsity> layers;
  double sparsity() const { return weights > 0 ? static_cast<double>(zeros) / static_cast<double>(weights) : 0.0; }
  // {"overall": s, "weights": n, "zeros": z, "layers": {name: s, ...}}
  Json to_json() const;
};
SparsityReport measure_sparsity(GraphModule& model);

}  // namespace tinyprune
