// DeployedGraph: which IR nodes become runtime operators at int8 deployment, and which activation
// tensors exist. It is THE definition of the deployed op graph: the ResourceModel (bytes, MACs,
// peak memory, execution order) and the exporter's memory plan both read it, so the numbers a user
// sees and the arena the runtime allocates describe the same tensors.
//
// Rules (applied to the IR nodes in definition order):
//   * Input            -> op 0 (kind kInput); its tensor is the graph input (counted in SRAM).
//   * Conv2d / Linear  -> a runtime op. Weights live in Flash (0 SRAM).
//   * BatchNorm        -> folded into the producing Conv2d/Linear op when that op's value has no
//                         other reader, is not the network output and has no fused activation or BN
//                         yet. Otherwise a standalone op, deployed as a 1x1 depthwise convolution
//                         (per-channel scale + bias), costed as such.
//   * ReLU / ReLU6     -> fused into the producing Conv2d/Linear/Add/standalone-BN op under the same
//                         single-reader condition; otherwise a standalone op with its own tensor.
//   * Dropout, Flatten -> no op: identity / a no-op reshape of its input's buffer. The node is an
//                         alias of its input's tensor (a Linear after Flatten reads that buffer).
//   * MaxPool, AvgPool, GlobalAvgPool, Add -> a runtime op with its own output tensor. An Add may
//                         accumulate in place into a dying summand (ResourceOptions::inplace_add).
//   * Nodes the network output does not depend on are dropped (not executed, not costed).
// "Single reader" looks through aliases: conv -> dropout -> bn still folds.
//
// Each op produces exactly one tensor, so tensor id == op id. The tensor holds the value of the
// op's `output_node` (the last IR node fused into it); its bytes are the element count of that
// node's shape (times the element size).
//
// Usage:
//   DeployedGraph d(graph);
//   for (const DeployedOp& op : d.ops()) ...;       // in definition order (a topological order)
//   int t = d.op_of(graph.at("relu3"));            // the tensor holding relu3's value
#pragma once

#include <string>
#include <vector>

#include "core/graph.h"

namespace tinyprune {

struct DeployedOp {
  std::string name;          // the primary IR node's name (stable; used in orders and reports)
  OpKind kind = OpKind::kInput;  // the primary node's kind (kBatchNorm: standalone BN op)
  int primary = 0;           // IR node id of the operator itself
  std::vector<int> nodes;    // IR nodes executed by this op: primary, folded BN, fused activation
  std::vector<int> aliases;  // Dropout/Flatten nodes that are views of this op's tensor
  int output_node = 0;       // IR node whose value the tensor holds (nodes.back())
  std::vector<int> inputs;   // op ids whose tensors this op reads, in IR input order, deduplicated
  bool folded_bn = false;
  OpKind activation = OpKind::kInput;  // kReLU / kReLU6 when fused, else kInput (= none)
};

class DeployedGraph {
 public:
  // Builds the view; the graph must have inferred shapes. The graph is not referenced afterwards.
  explicit DeployedGraph(const Graph& graph);

  int size() const { return static_cast<int>(ops_.size()); }
  const std::vector<DeployedOp>& ops() const { return ops_; }
  const DeployedOp& op(int id) const;
  // The op whose tensor holds IR node `node`'s value (after folding, fusion and aliasing);
  // -1 for nodes that were dropped because the output does not depend on them.
  int op_of(int node) const;
  // The op producing the network output.
  int output() const { return output_; }
  // Ops reading op `id`'s tensor, ascending.
  const std::vector<int>& consumers(int id) const { return consumers_[static_cast<size_t>(id)]; }
  // IR nodes dropped because the output does not depend on them.
  const std::vector<int>& dropped_nodes() const { return dropped_; }

 private:
  std::vector<DeployedOp> ops_;
  std::vector<int> op_of_;
  std::vector<std::vector<int>> consumers_;
  std::vector<int> dropped_;
  int output_ = 0;
};

}  // namespace tinyprune
