#include "export/quant_params.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace tinyprune {
namespace {

TEST(QuantParamsTest, NonNegativeRangeUsesTheWholeInt8Range) {
  const ActivationParams p = choose_activation_params(0.0, 2.55);
  EXPECT_FLOAT_EQ(p.scale, 0.01f);
  EXPECT_EQ(p.zero_point, -128);
  EXPECT_EQ(quantize_value(0.0, p), -128);
  EXPECT_EQ(quantize_value(2.55, p), 127);
  EXPECT_EQ(quantize_value(1.0, p), -28);
}

TEST(QuantParamsTest, RangeIsWidenedToContainZero) {
  const ActivationParams pos = choose_activation_params(1.0, 3.0);
  EXPECT_DOUBLE_EQ(pos.min, 0.0);
  EXPECT_FLOAT_EQ(pos.scale, static_cast<float>(3.0 / 255));
  EXPECT_EQ(pos.zero_point, -128);
  const ActivationParams neg = choose_activation_params(-4.0, -1.0);
  EXPECT_DOUBLE_EQ(neg.max, 0.0);
  EXPECT_EQ(neg.zero_point, 127);
  EXPECT_EQ(quantize_value(0.0, neg), 127);
}

TEST(QuantParamsTest, SymmetricRangeNudgesTheZeroPointLikeTflite) {
  // Both zero point candidates are ~-0.5 (exactly -0.5 before the f32 rounding of the scale).
  const ActivationParams p = choose_activation_params(-1.0, 1.0);
  EXPECT_FLOAT_EQ(p.scale, static_cast<float>(2.0 / 255));
  EXPECT_TRUE(p.zero_point == -1 || p.zero_point == 0) << p.zero_point;
  // Zero is always exact.
  EXPECT_NEAR(p.scale * (quantize_value(0.0, p) - p.zero_point), 0.0, 1e-12);
  const ActivationParams q = choose_activation_params(-0.7, 3.2);
  EXPECT_EQ(q.zero_point, static_cast<int32_t>(std::lround(-128 + 0.7 / q.scale)));
}

TEST(QuantParamsTest, DegenerateAndInvalidRanges) {
  const ActivationParams dead = choose_activation_params(0.0, 0.0);
  EXPECT_FLOAT_EQ(dead.scale, static_cast<float>(1.0 / 255));
  EXPECT_EQ(dead.zero_point, -128);
  EXPECT_THROW(choose_activation_params(1.0, 0.0), ExportError);
  EXPECT_THROW(choose_activation_params(0.0, INFINITY), ExportError);
}

TEST(QuantParamsTest, WeightScaleAndBiasBound) {
  EXPECT_DOUBLE_EQ(choose_weight_scale(1.27, 0.0, 0.1), 0.01);
  EXPECT_DOUBLE_EQ(choose_weight_scale(0.0, 0.0, 0.1), 1.0);
  // A tiny weight scale would overflow the int32 bias: the scale grows until |bias| <= 2^30.
  const double s = choose_weight_scale(1e-9, 1000.0, 1e-3);
  EXPECT_LE(std::abs(1000.0 / (1e-3 * s)), 1073741824.0);
}

TEST(QuantParamsTest, MultipliersMatchTfliteEncoding) {
  Requant r = quantize_multiplier(0.5);
  EXPECT_EQ(r.multiplier, 1 << 30);
  EXPECT_EQ(r.shift, 0);
  r = quantize_multiplier(0.25);
  EXPECT_EQ(r.multiplier, 1 << 30);
  EXPECT_EQ(r.shift, -1);
  r = quantize_multiplier(3.0);
  EXPECT_EQ(r.multiplier, 3 << 29);
  EXPECT_EQ(r.shift, 2);
  r = quantize_multiplier(0.0);
  EXPECT_EQ(r.multiplier, 0);
  EXPECT_THROW(quantize_multiplier(-1.0), ExportError);
  // real = multiplier * 2^(shift - 31) within 2^-31 relative.
  const double m = 0.0123456789;
  r = quantize_multiplier(m);
  EXPECT_NEAR(r.multiplier * std::ldexp(1.0, r.shift - 31), m, m * 1e-9);
}

TEST(QuantParamsTest, FusedActivationClamps) {
  const ActivationParams p = choose_activation_params(-2.0, 8.0);  // scale 10/255
  EXPECT_EQ(activation_range(OpKind::kInput, p).min, -128);
  EXPECT_EQ(activation_range(OpKind::kInput, p).max, 127);
  EXPECT_EQ(activation_range(OpKind::kReLU, p).min, p.zero_point);
  EXPECT_EQ(activation_range(OpKind::kReLU, p).max, 127);
  const ActRange r6 = activation_range(OpKind::kReLU6, p);
  EXPECT_EQ(r6.min, p.zero_point);
  EXPECT_EQ(r6.max, p.zero_point + static_cast<int32_t>(std::lround(6.0 / p.scale)));
  // A ReLU6 range [0, 6] saturates at 127.
  const ActivationParams six = choose_activation_params(0.0, 6.0);
  EXPECT_EQ(activation_range(OpKind::kReLU6, six).max, 127);
}

TEST(QuantParamsTest, AddParamsFollowTflite) {
  const AddParams a = add_params(0.02f, 0.01f, 0.05f);
  EXPECT_EQ(a.left_shift, 20);
  // in0: 0.02 / 0.04 = 0.5, in1: 0.25, out: 0.04 / (2^20 * 0.05)
  EXPECT_EQ(a.input0.multiplier, 1 << 30);
  EXPECT_EQ(a.input0.shift, 0);
  EXPECT_EQ(a.input1.multiplier, 1 << 30);
  EXPECT_EQ(a.input1.shift, -1);
  const double out = a.output.multiplier * std::ldexp(1.0, a.output.shift - 31);
  const double want = 2.0 * static_cast<double>(0.02f) / (1048576.0 * static_cast<double>(0.05f));
  EXPECT_NEAR(out, want, want * 1e-9);
}

}  // namespace
}  // namespace tinyprune
