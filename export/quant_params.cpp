#include "export/quant_params.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "runtime/include/tpr_builder.h"

namespace tinyprune {

namespace {
constexpr double kQMin = -128.0, kQMax = 127.0;
constexpr double kMaxAbsBias = 1073741824.0;  // 2^30 (TPR_FMT_MAX_ABS_BIAS)
}  // namespace

ActivationParams choose_activation_params(double min, double max) {
  TP_CHECK_T(ExportError, std::isfinite(min) && std::isfinite(max) && min <= max,
             "activation range must be finite with min <= max, got [", min, ", ", max, "]");
  // The range must contain 0: zero padding and ReLU's 0 have to be exactly representable.
  min = std::min(min, 0.0);
  max = std::max(max, 0.0);
  if (max - min < 1e-12) {
    min = 0.0;
    max = 1.0;
  }
  ActivationParams p;
  p.min = min;
  p.max = max;
  p.scale = static_cast<float>((max - min) / (kQMax - kQMin));
  const double s = p.scale;  // from here on: the stored f32 value
  const double zp_from_min = kQMin - min / s;
  const double zp_from_max = kQMax - max / s;
  const double err_min = std::abs(kQMin) + std::abs(min / s);
  const double err_max = std::abs(kQMax) + std::abs(max / s);
  const double zp = err_min < err_max ? zp_from_min : zp_from_max;
  if (zp < kQMin)
    p.zero_point = static_cast<int32_t>(kQMin);
  else if (zp > kQMax)
    p.zero_point = static_cast<int32_t>(kQMax);
  else
    p.zero_point = static_cast<int32_t>(std::lround(zp));
  return p;
}

double choose_weight_scale(double max_abs_weight, double abs_bias, double input_scale) {
  double s = max_abs_weight > 0 ? max_abs_weight / 127.0 : 1.0;
  // |bias| <= 2^30 (the runtime's bound keeping bias + accumulator inside int32); a margin of
  // one unit absorbs the rounding of b / (s_in * s_w).
  if (abs_bias > 0 && input_scale > 0) s = std::max(s, abs_bias / (input_scale * (kMaxAbsBias - 1.0)));
  return s;
}

Requant quantize_multiplier(double real_multiplier) {
  Requant r;
  const tpr_status st = tpr_quantize_multiplier(real_multiplier, &r.multiplier, &r.shift);
  TP_CHECK_T(ExportError, st == TPR_OK, "cannot encode requantization multiplier ", real_multiplier,
             " (must be finite and >= 0)");
  return r;
}

ActRange activation_range(OpKind activation, const ActivationParams& out) {
  ActRange r;
  if (activation == OpKind::kReLU || activation == OpKind::kReLU6) r.min = std::max<int32_t>(-128, out.zero_point);
  if (activation == OpKind::kReLU6) {
    const int64_t six = out.zero_point + round_half_away(6.0 / static_cast<double>(out.scale));
    r.max = static_cast<int32_t>(std::clamp<int64_t>(six, r.min, 127));
  }
  return r;
}

AddParams add_params(float scale_a, float scale_b, float scale_out) {
  AddParams p;
  const double twice_max = 2.0 * std::max<double>(scale_a, scale_b);
  p.input0 = quantize_multiplier(static_cast<double>(scale_a) / twice_max);
  p.input1 = quantize_multiplier(static_cast<double>(scale_b) / twice_max);
  p.output = quantize_multiplier(twice_max / (static_cast<double>(1 << p.left_shift) * scale_out));
  return p;
}

int64_t round_half_away(double x) { return static_cast<int64_t>(std::round(x)); }

int8_t quantize_value(double x, const ActivationParams& p) {
  const double q = std::round(x / static_cast<double>(p.scale)) + p.zero_point;
  return static_cast<int8_t>(std::clamp(q, kQMin, kQMax));
}

}  // namespace tinyprune
