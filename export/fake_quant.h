// Fake-quant simulation of a QuantizedModel in LibTorch: the reference the runtime is tested
// against (runtime int8 outputs == simulation within 1 LSB on every element).
//
// Every op dequantizes its int8 inputs (real = s * (q - zp)), runs the LibTorch float op in
// float64 with the dequantized int8 weights (W = s_w[o] * w_q) and bias (b = s_in * s_w[o] * bias_q),
// and quantizes the result with the output tensor's parameters (round half away from zero, then
// the op's act_min/act_max clamp). In float64 every product and sum is exact or within 1e-16
// relative, so the only differences to the runtime are the runtime's fixed-point rounding (its
// 31-bit multiplier and two-stage rounding, TFLite's ADD input rescaling): at most 1 LSB per op
// given the same inputs (simulate_op). Through a whole network a rare 1-LSB difference in one
// layer propagates, so end-to-end outputs can differ by more: the tests compare op by op on the
// runtime's own intermediate tensors (readable with a no-reuse plan, memory_plan.h).
// Layouts are LibTorch's: tensors [N, C, H, W] (FC outputs [N, C, 1, 1]).
//
// Usage:
//   torch::Tensor xq = quantize_input(q, images);          // int8 [N, C, H, W]
//   torch::Tensor yq = simulate(q, xq);                     // int8 output, [N, C, H, W]
//   torch::Tensor y = dequantize(yq, q.tensors[q.output].q);
#pragma once

#include <torch/types.h>

#include <vector>

#include "export/quantized_model.h"

namespace tinyprune {

// float [N, C, H, W] -> int8 [N, C, H, W] with the graph input's parameters (quantize_value rules).
torch::Tensor quantize_input(const QuantizedModel& q, const torch::Tensor& images);
torch::Tensor quantize_tensor(const torch::Tensor& x, const ActivationParams& p);
// int8 -> float64 real values.
torch::Tensor dequantize(const torch::Tensor& q, const ActivationParams& p);

// One op on given int8 values ([N, C, H, W] by tensor id; only its inputs are read): its int8
// output. Feeding the runtime's own intermediate tensors checks one op in isolation.
torch::Tensor simulate_op(const QuantizedModel& q, const QOp& op, const std::vector<torch::Tensor>& values);
// Every tensor's int8 value [N, C, H, W] by tensor id (input included).
std::vector<torch::Tensor> simulate_all(const QuantizedModel& q, const torch::Tensor& input_q);
// The graph output's int8 value [N, C, H, W].
torch::Tensor simulate(const QuantizedModel& q, const torch::Tensor& input_q);

// [N, C, H, W] -> [N, H, W, C] contiguous (the runtime's byte order for one image per row).
torch::Tensor to_nhwc(const torch::Tensor& x);

}  // namespace tinyprune
