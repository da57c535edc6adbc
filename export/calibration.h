// Post-training calibration: the real range of every deployed activation tensor.
//
// The float model runs in eval mode (no gradients) over the calibration batches; for each
// DeployedGraph tensor (the value of its op's `output_node`, i.e. after folded BN and fused
// activation) the running min and max over all batches are kept (TFLite's min/max calibration;
// choose_activation_params() later widens the range to contain 0).
//
// Usage:
//   std::vector<torch::Tensor> batches = calibration_batches(*splits.train, 8, 32, /*seed=*/0);
//   ActivationRanges r = calibrate(*model, deployed, batches);
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "core/graph_module.h"
#include "core/resources/deployed_graph.h"

namespace tinyprune {

class Dataset;

struct ActivationRanges {
  std::vector<double> min, max;  // per DeployedGraph tensor (op) id
  int64_t samples = 0;           // images seen
};

// Runs `model` on every batch ([N, C, H, W] float) and records the ranges. The model's training
// flag is restored afterwards. Throws ExportError for no batches or non-finite activations
// (naming the tensor).
ActivationRanges calibrate(GraphModuleImpl& model, const DeployedGraph& deployed,
                           const std::vector<torch::Tensor>& batches);

// `batches` batches of `batch_size` images drawn without replacement from `data` (a seeded random
// subset; all images when the set is smaller), unaugmented (Dataset::get_unaugmented_batch).
std::vector<torch::Tensor> calibration_batches(const Dataset& data, int64_t batches, int64_t batch_size,
                                               uint64_t seed);

}  // namespace tinyprune
