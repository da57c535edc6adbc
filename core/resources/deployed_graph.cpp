#include "core/resources/deployed_graph.h"

#include <algorithm>

#include "core/error.h"

namespace tinyprune {
namespace {

bool is_alias_kind(OpKind k) { return k == OpKind::kDropout || k == OpKind::kFlatten; }

}  // namespace

DeployedGraph::DeployedGraph(const Graph& graph) {
  const int n = graph.size();
  TP_CHECK_T(GraphError, n > 0 && graph.node(0).kind == OpKind::kInput, "deployed view needs a graph with an input");
  const int out = graph.output();

  // Live nodes: those the output depends on (ids are topological, one backward sweep).
  std::vector<char> live(static_cast<size_t>(n), 0);
  live[static_cast<size_t>(out)] = 1;
  live[0] = 1;
  for (int i = n - 1; i >= 0; --i)
    if (live[static_cast<size_t>(i)])
      for (int in : graph.node(i).inputs) live[static_cast<size_t>(in)] = 1;
  std::vector<std::vector<int>> readers(static_cast<size_t>(n));  // live direct consumers
  for (int i = 0; i < n; ++i)
    if (live[static_cast<size_t>(i)])
      for (int in : graph.node(i).inputs) readers[static_cast<size_t>(in)].push_back(i);

  // Readers of a value looking through aliases, and whether an alias chain reaches the output.
  // A node's aliases come after it, so a backward sweep sees them first.
  std::vector<std::vector<int>> value_readers(static_cast<size_t>(n));
  std::vector<char> value_is_output(static_cast<size_t>(n), 0);
  for (int i = n - 1; i >= 0; --i) {
    auto& vr = value_readers[static_cast<size_t>(i)];
    value_is_output[static_cast<size_t>(i)] = i == out;
    for (int c : readers[static_cast<size_t>(i)]) {
      if (is_alias_kind(graph.node(c).kind)) {
        const auto& sub = value_readers[static_cast<size_t>(c)];
        vr.insert(vr.end(), sub.begin(), sub.end());
        value_is_output[static_cast<size_t>(i)] |= value_is_output[static_cast<size_t>(c)];
      } else {
        vr.push_back(c);
      }
    }
    std::sort(vr.begin(), vr.end());
    vr.erase(std::unique(vr.begin(), vr.end()), vr.end());
  }

  op_of_.assign(static_cast<size_t>(n), -1);
  // True when op `p`'s value is read by `node` only and is not the network output, so `node` can
  // be computed inside op `p` without materialising p's current value.
  auto sole_reader = [&](int p, int node) {
    const int v = ops_[static_cast<size_t>(p)].output_node;
    const auto& vr = value_readers[static_cast<size_t>(v)];
    return !value_is_output[static_cast<size_t>(v)] && vr.size() == 1 && vr[0] == node;
  };

  for (int i = 0; i < n; ++i) {
    if (!live[static_cast<size_t>(i)]) {
      dropped_.push_back(i);
      continue;
    }
    const Node& node = graph.node(i);
    if (node.kind != OpKind::kInput && is_alias_kind(node.kind)) {
      const int p = op_of_[static_cast<size_t>(node.inputs[0])];
      op_of_[static_cast<size_t>(i)] = p;
      ops_[static_cast<size_t>(p)].aliases.push_back(i);
      continue;
    }
    if (node.kind == OpKind::kBatchNorm || node.kind == OpKind::kReLU || node.kind == OpKind::kReLU6) {
      const int p = op_of_[static_cast<size_t>(node.inputs[0])];
      DeployedOp& prev = ops_[static_cast<size_t>(p)];
      bool absorb = false;
      if (node.kind == OpKind::kBatchNorm)
        absorb = (prev.kind == OpKind::kConv2d || prev.kind == OpKind::kLinear) && !prev.folded_bn &&
                 prev.activation == OpKind::kInput;
      else
        absorb = (prev.kind == OpKind::kConv2d || prev.kind == OpKind::kLinear || prev.kind == OpKind::kAdd ||
                  prev.kind == OpKind::kBatchNorm) &&
                 prev.activation == OpKind::kInput;
      if (absorb && sole_reader(p, i)) {
        prev.nodes.push_back(i);
        prev.output_node = i;
        if (node.kind == OpKind::kBatchNorm)
          prev.folded_bn = true;
        else
          prev.activation = node.kind;
        op_of_[static_cast<size_t>(i)] = p;
        continue;
      }
    }
    DeployedOp op;
    op.name = node.name;
    op.kind = node.kind;
    op.primary = i;
    op.nodes = {i};
    op.output_node = i;
    for (int in : node.inputs) {
      const int p = op_of_[static_cast<size_t>(in)];
      if (std::find(op.inputs.begin(), op.inputs.end(), p) == op.inputs.end()) op.inputs.push_back(p);
    }
    op_of_[static_cast<size_t>(i)] = size();
    ops_.push_back(std::move(op));
  }

  consumers_.assign(ops_.size(), {});
  for (int o = 0; o < size(); ++o)
    for (int in : ops_[static_cast<size_t>(o)].inputs) consumers_[static_cast<size_t>(in)].push_back(o);
  output_ = op_of_[static_cast<size_t>(out)];
}

const DeployedOp& DeployedGraph::op(int id) const {
  TP_CHECK_T(GraphError, id >= 0 && id < size(), "deployed op id ", id, " out of range [0, ", size(), ")");
  return ops_[static_cast<size_t>(id)];
}

int DeployedGraph::op_of(int node) const {
  TP_CHECK_T(GraphError, node >= 0 && node < static_cast<int>(op_of_.size()), "node id ", node, " out of range");
  return op_of_[static_cast<size_t>(node)];
}

}  // namespace tinyprune
