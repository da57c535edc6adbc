// GraphModule: a LibTorch module that executes any Graph (core/graph.h).
//
// Parameters are registered per node under the node's name ("layer1_0_conv1.weight"), so
// checkpoints, pruners and the exporter address weights by graph node. Nodes run in definition
// order; intermediate tensors are released after their last consumer.
//
// Output masks: `set_output_mask(id, m)` multiplies node `id`'s output channel-wise by `m` ([C],
// broadcast over N, H, W). Structured pruners use it to mask channels after BN (exact removal
// later, see compaction); the differentiable pruner passes a mask that requires grad to read
// dL/dmask. Masks are not parameters or buffers: their owner (a pruner) checkpoints them.
//
// Usage:
//   GraphModule m(build_model(spec));
//   torch::Tensor logits = m->forward(images);   // images [N, C, H, W] float
#pragma once

#include <c10/core/MemoryFormat.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "core/graph.h"

namespace tinyprune {

class GraphModuleImpl : public torch::nn::Module {
 public:
  // Builds the layers and initialises them (Kaiming-normal fan-out for convs, BN gamma 1 / beta 0,
  // LibTorch's default for linear layers) from LibTorch's global RNG (seed it for determinism).
  explicit GraphModuleImpl(Graph graph);

  // x: [N, C, H, W] float matching the graph input shape; returns the output node's tensor
  // ([N, classes] for classifiers).
  torch::Tensor forward(const torch::Tensor& x);
  // Every node's output, indexed by node id (keeps all tensors alive; for calibration and tests).
  std::vector<torch::Tensor> forward_all(const torch::Tensor& x);

  const Graph& graph() const { return graph_; }

  // Layer access by node id; throws GraphError if the node is not of that kind.
  torch::nn::Conv2d& conv(int id);
  torch::nn::BatchNorm2d& batch_norm(int id);
  torch::nn::Linear& linear(int id);
  // The weight tensor of a conv or linear node.
  torch::Tensor weight(int id);

  // Memory layout of conv weights and activations while the module runs (values are the same,
  // logical shapes stay [N, C, H, W]). ChannelsLast (NHWC in memory) lets oneDNN run its NHWC
  // convolutions without reordering tensors on every call: 1.3-1.4x faster training on CPU for
  // the zoo (bench/train_throughput). Converts the conv weights in place (same parameter
  // tensors, so optimizers keep tracking them) and makes forward() convert its input.
  // Contiguous restores the canonical layout that code outside the training loop expects.
  void set_memory_format(c10::MemoryFormat format);
  c10::MemoryFormat memory_format() const { return memory_format_; }

  void set_output_mask(int id, torch::Tensor mask);  // undefined tensor clears
  const torch::Tensor& output_mask(int id) const;
  void clear_output_masks();

 private:
  torch::Tensor run_node(int id, const std::vector<torch::Tensor>& values);
  void check_input(const torch::Tensor& x) const;

  Graph graph_;
  // Per node id; empty holders for parameter-free nodes.
  std::vector<torch::nn::Conv2d> convs_;
  std::vector<torch::nn::BatchNorm2d> bns_;
  std::vector<torch::nn::Linear> linears_;
  std::vector<torch::Tensor> masks_;
  std::vector<int> last_use_;  // last consumer of each node's output (output node: size())
  c10::MemoryFormat memory_format_ = c10::MemoryFormat::Contiguous;
};
TORCH_MODULE(GraphModule);

}  // namespace tinyprune
