// Scalar int8 quantization rules of the exporter (TFLite / CMSIS-NN conventions, runtime/FORMAT.md
// section 9). Pure functions, no LibTorch: the quantizer, the fake-quant simulation and the tests
// all compute parameters through these, so every part agrees on the numbers.
//
//   ActivationParams a = choose_activation_params(-0.7, 3.2);   // scale 0.01529, zero point -82
//   Requant r = quantize_multiplier(s_in * s_w / s_out);        // tpr_quantize_multiplier
//   ActRange relu = activation_range(OpKind::kReLU, a);         // [max(-128, zp), 127]
#pragma once

#include <cstdint>
#include <vector>

#include "core/graph.h"

namespace tinyprune {

// Asymmetric per-tensor int8 parameters: real = scale * (q - zero_point), q in [-128, 127].
struct ActivationParams {
  float scale = 1.0f;       // > 0, finite (stored as f32 in the blob; every later computation uses
                            // this f32 value, so multipliers match what the runtime sees)
  int32_t zero_point = 0;   // [-128, 127]
  double min = 0, max = 0;  // the real range the parameters were chosen for (contains 0)
};

// TFLite's ChooseQuantizationParams for int8: the range is first widened to contain 0 (so that 0
// and zero padding are exact), scale = (max - min) / 255, and the zero point is the nudged
// (rounded, clamped) one of the two candidates qmin - min/scale, qmax - max/scale with the smaller
// error. A degenerate range (max - min < 1e-12, e.g. a dead ReLU layer) uses [0, 1].
// Throws ExportError for non-finite bounds or min > max.
ActivationParams choose_activation_params(double min, double max);

// Per-output-channel symmetric int8 weights (zero point 0, values in [-127, 127]):
// s_w = max|w| / 127 for one output channel; 1.0 for an all-zero channel. `abs_bias_limit`
// enforces |round(b / (s_in * s_w))| <= 2^30 by raising s_w when a tiny scale would overflow the
// int32 bias: s_w >= |b| / (s_in * 2^30). Returns the scale.
double choose_weight_scale(double max_abs_weight, double abs_bias, double input_scale);

// The runtime's (multiplier, shift) encoding of a real multiplier M >= 0:
// M ~= multiplier * 2^(shift - 31), multiplier in [2^30, 2^31) or 0 (tpr_quantize_multiplier).
struct Requant {
  int32_t multiplier = 0;
  int32_t shift = 0;
};
// Throws ExportError for negative or non-finite M.
Requant quantize_multiplier(double real_multiplier);

// The int8 clamp of an op's output: none -> [-128, 127]; ReLU -> [max(-128, zp), 127];
// ReLU6 -> [max(-128, zp), min(127, zp + round(6 / scale))]. `activation` is kInput for none.
struct ActRange {
  int32_t min = -128, max = 127;
};
ActRange activation_range(OpKind activation, const ActivationParams& out);

// TFLite int8 ADD parameters (FORMAT.md section 8): left_shift 20, twice_max = 2 * max(s_a, s_b),
// inputs quantize(s_a / twice_max), quantize(s_b / twice_max), output
// quantize(twice_max / (2^20 * s_out)).
struct AddParams {
  int32_t left_shift = 20;
  Requant input0, input1, output;
};
AddParams add_params(float scale_a, float scale_b, float scale_out);

// round(x) with halves away from zero (std::round), as TFLite's quantize op.
int64_t round_half_away(double x);

// q = clamp(round_half_away(x / scale) + zero_point, -128, 127).
int8_t quantize_value(double x, const ActivationParams& p);

}  // namespace tinyprune
