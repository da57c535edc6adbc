// BN folding: the real-valued (float64) weights and bias of one deployed conv / linear /
// standalone-BN op, with everything the DeployedGraph fused into it applied (algorithms.md 5.2):
//
//   conv/linear W, b (b = 0 when the layer has no bias)
//   folded BN:   k = gamma / sqrt(running_var + eps);  W' = k[o] * W[o];  b' = k * (b - mean) + beta
//   standalone BN (deployed as a 1x1 depthwise conv): W'[c] = k[c], b' = beta - k * mean
//   output masks (GraphModule::set_output_mask) on a conv / linear / BN node multiply that node's
//   output channel-wise, so they fold into W' and b' at that point of the chain.
// Throws ExportError for an output mask on any other node (compact the model first) and for ops
// that are not conv / linear / batch_norm.
//
// Usage:
//   DeployedGraph d(model->graph());
//   FoldedLayer f = fold_deployed_op(*model, d.op(3));   // f.weight [Cout, Cin/groups, KH, KW]
#pragma once

#include <torch/types.h>

#include "core/graph_module.h"
#include "core/resources/deployed_graph.h"

namespace tinyprune {

struct FoldedLayer {
  torch::Tensor weight;  // float64, LibTorch layout: conv [Cout, Cin/groups, KH, KW], linear
                         // [Cout, Cin], standalone BN [C, 1, 1, 1]
  torch::Tensor bias;    // float64 [Cout]
};

FoldedLayer fold_deployed_op(GraphModuleImpl& model, const DeployedOp& op);

// Throws ExportError naming the first node whose output mask fold_deployed_op cannot fold (masks
// fold on conv / linear / batch_norm nodes only; the input cannot be masked).
void check_output_masks(const GraphModuleImpl& model);

}  // namespace tinyprune
