// Post-training int8 quantization of a GraphModule (TFLite / CMSIS-NN semantics, FORMAT.md 9).
//
// Overview (per DeployedGraph op, definition order):
//   * activations: asymmetric per-tensor int8 from the calibrated min/max (choose_activation_params);
//     max/avg pools and standalone ReLUs reuse their input's parameters (the runtime requires it
//     for pools; ReLU becomes a 1x1 max pool whose clamp is the activation);
//   * conv / depthwise / linear / standalone BN: BN folded (bn_folding.h), then per-output-channel
//     symmetric int8 weights s_w[o] = max|W'[o]| / 127, int32 bias round(b'/(s_in*s_w[o])),
//     (multiplier, shift) = quantize(s_in*s_w[o]/s_out), fused ReLU/ReLU6 as the output clamp;
//   * filterlet masks [Cout][KH][KW]: a caller-given mask zeroes the dropped filterlets before the
//     weight scales are chosen; without one a filterlet is kept iff one of its int8 weights is
//     non-zero (so exactly-zero pruned weights become FWCS automatically);
//   * Add: TFLite's int8 ADD parameters; global average pool: quantize(s_in / (s_out*H*W)).
// Unsupported structure throws ExportError naming the node: grouped (non-depthwise) convs, avg
// pools with padding (the runtime averages valid taps only), padding >= kernel, strides or pool
// kernels > 255, ops other than linear reading a flattened tensor, mixed-rank Adds.
//
// Usage:
//   DeployedGraph d(model->graph());
//   ActivationRanges r = calibrate(*model, d, batches);
//   QuantizedModel q = quantize_model(*model, d, r, {});
#pragma once

#include <torch/types.h>

#include <map>
#include <string>

#include "core/graph_module.h"
#include "core/resources/deployed_graph.h"
#include "export/calibration.h"
#include "export/quantized_model.h"

namespace tinyprune {

// Filterlet keep masks by conv node name: bool (or 0/1) tensors [Cout][KH][KW].
using FilterletMasks = std::map<std::string, torch::Tensor>;

QuantizedModel quantize_model(GraphModuleImpl& model, const DeployedGraph& deployed, const ActivationRanges& ranges,
                              const FilterletMasks& masks = {});

}  // namespace tinyprune
