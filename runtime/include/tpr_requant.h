/**
 * @file tpr_requant.h
 * @brief TFLite fixed-point requantization (bit-exact with MultiplyByQuantizedMultiplier).
 *
 * A real multiplier M > 0 is encoded as (multiplier, shift) with M = multiplier * 2^(shift - 31),
 * multiplier in [2^30, 2^31 - 1] (or 0 for M = 0) and shift in [-31, 30] (positive = left).
 * tpr_requantize(x) = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x << left, multiplier),
 * right), left = max(shift, 0), right = max(-shift, 0); rounding is half away from zero in the
 * divide and half up in the doubling high multiply, exactly as TFLite / gemmlowp. The one
 * deviation: x << left saturates to int32 instead of overflowing (undefined behaviour in TFLite).
 */
#ifndef TPR_REQUANT_H
#define TPR_REQUANT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** gemmlowp SaturatingRoundingDoublingHighMul: round((a*b*2) / 2^32), saturating INT32_MIN^2. */
static inline int32_t tpr_sat_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/** gemmlowp RoundingDivideByPOT: x / 2^exponent rounded half away from zero; exponent 0..31. */
static inline int32_t tpr_rounding_divide_by_pot(int32_t x, int32_t exponent) {
  const int32_t mask = (int32_t)(((uint32_t)1 << exponent) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * TFLite MultiplyByQuantizedMultiplier (see file comment); multiplier in [0, 2^31 - 1], shift in
 * [-31, 30]. Computed with an equivalent cheaper formulation (exact for multiplier >= 0):
 * SaturatingRoundingDoublingHighMul(x, m) = floor((x*m + 2^30) / 2^31), and
 * RoundingDivideByPOT(x, r) = (x >> r) + (((x mod 2^r) + 2^(r-1) - [x < 0]) >> r) in unsigned
 * arithmetic (no overflow). The tests check it against the gemmlowp definitions above.
 */
static inline int32_t tpr_requantize(int32_t x, int32_t multiplier, int32_t shift) {
  if (shift > 0) {
    const int64_t v = (int64_t)x * ((int64_t)1 << shift);
    x = v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v);
  }
  x = (int32_t)(((int64_t)x * multiplier + ((int64_t)1 << 30)) >> 31);
  if (shift < 0) {
    const int32_t r = -shift;
    const uint32_t t = ((uint32_t)x & (((uint32_t)1 << r) - 1u)) + ((uint32_t)1 << (r - 1)) -
                       ((uint32_t)x >> 31);
    x = (x >> r) + (int32_t)(t >> r);
  }
  return x;
}

/** Clamp to [lo, hi] and narrow to int8 (lo, hi within int8). */
static inline int8_t tpr_clamp_s8(int32_t v, int32_t lo, int32_t hi) {
  return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

/** Output stage of every requantizing kernel: clamp(requant(acc) + out_offset, lo, hi), computed
 *  without int32 overflow (a saturating add gives the same int8 result). */
static inline int8_t tpr_requant_out(int32_t acc, int32_t multiplier, int32_t shift,
                                     int32_t out_offset, int32_t lo, int32_t hi) {
  const int64_t v = (int64_t)tpr_requantize(acc, multiplier, shift) + out_offset;
  return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

#ifdef __cplusplus
}
#endif
#endif /* TPR_REQUANT_H */
