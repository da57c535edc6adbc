// TensorGraph: the minimal dataflow description the peak-memory algorithms run on.
//
// It is deliberately independent of convolutions and shapes: a tensor is an id, a size in bytes and
// the list of tensors its (single) producing operator reads. That makes the peak-memory DP testable
// on arbitrary byte sizes (algorithms.md 3.3, test vector T3.1) and lets the ResourceModel feed it
// sizes at integer widths (reports) or at continuous widths (the relaxation used for gradients).
//
// Conventions (algorithms.md 3.1/3.2):
//   * tensor id == id of the operator that produces it; ids are in a valid topological order
//     (every input id < the tensor's id), which is also the "default" (definition) execution order;
//   * a tensor with no inputs is a graph input: it is resident from the start until its last
//     consumer has run (graph inputs count towards peak memory);
//   * weights / constants are not tensors here (they live in Flash and cost 0 SRAM);
//   * `outputs` stay resident until the end; when empty, every tensor without consumers is an output;
//   * `inplace[t]`: t's operator may write its result into the buffer of an input that dies at
//     this step and is at least as large (an int8 Add accumulating into one summand).
//
// Sizes are doubles so that the continuous relaxation can be evaluated; integral sizes give exact
// integral results (exact up to 2^53 bytes).
//
// Usage:
//   TensorGraph tg;
//   int x = tg.add_tensor("x", 10);
//   int a = tg.add_tensor("a", 20, {x});
//   int y = tg.add_tensor("y", 4, {a});
//   tg.set_outputs({y});
#pragma once

#include <string>
#include <vector>

namespace tinyprune {

class TensorGraph {
 public:
  // Appends a tensor produced by an operator reading `inputs` (ids of earlier tensors; duplicates
  // are merged). `inplace`: see header comment. Returns the new id. Throws ResourceError for a
  // negative size or a bad input id.
  int add_tensor(std::string name, double bytes, std::vector<int> inputs = {}, bool inplace = false);
  // Tensors that must still exist when the schedule ends (the network outputs).
  void set_outputs(std::vector<int> outputs);

  int size() const { return static_cast<int>(bytes_.size()); }
  const std::string& name(int t) const { return names_[static_cast<size_t>(t)]; }
  double bytes(int t) const { return bytes_[static_cast<size_t>(t)]; }
  void set_bytes(int t, double bytes);
  const std::vector<int>& inputs(int t) const { return inputs_[static_cast<size_t>(t)]; }
  const std::vector<int>& consumers(int t) const { return consumers_[static_cast<size_t>(t)]; }
  bool inplace(int t) const { return inplace_[static_cast<size_t>(t)] != 0; }
  bool is_graph_input(int t) const { return inputs(t).empty(); }
  // The explicit outputs, or every consumer-less tensor when none were set.
  std::vector<int> outputs() const;
  bool is_output(int t) const;

  // Non-input tensors in id order: the definition order.
  std::vector<int> default_order() const;
  // Tensors that some output depends on (inclusive), ascending; the only ones a schedule must run.
  std::vector<int> needed() const;

 private:
  std::vector<std::string> names_;
  std::vector<double> bytes_;
  std::vector<std::vector<int>> inputs_;
  std::vector<std::vector<int>> consumers_;
  std::vector<char> inplace_;
  std::vector<int> outputs_;
};

}  // namespace tinyprune
