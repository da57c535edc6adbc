/* Helpers of the Armv7E-M DSP kernels (Cortex-M4/M7: SMLAD, SXTAB16). Bit-exact with the
 * reference: the input offset is added to every activation while widening to int16, so the
 * accumulation is the reference's sum of (x + input_offset) * w in exact int32 arithmetic.
 *
 * Row layout: the im2col rows of 4 output pixels, widened to int16 with the input offset added,
 * interleaved per group of 4 elements: group g of row r occupies 8 bytes at (4*g + r) * 8 as the
 * halfword pairs (x0, x2), (x1, x3) -- the order SXTB16 / SXTB16-ROR8 produce from 4 packed int8
 * weights, so one SMLAD per pair needs no repacking. Padding taps hold 0 (= zp + offset). */
#ifndef TPR_DSP_UTIL_H
#define TPR_DSP_UTIL_H

#include <arm_acle.h>

#include "../kernel_util.h"

#define TPR_INLINE static inline __attribute__((always_inline))

TPR_INLINE uint32_t tpr_ror8(uint32_t x) { return (x >> 8) | (x << 24); }
TPR_INLINE uint32_t tpr_load_u32(const void* p) { uint32_t v; memcpy(&v, p, 4); return v; }

/** widen an int8 row of n elements into interleaved row slot r (see file comment); the last
 *  partial group is zero-filled */
TPR_INLINE void tpr_dsp_widen_row(const int8_t* src, int32_t n, int32_t input_offset,
                                  int32_t* rows, int32_t r) {
  const uint32_t off2 = ((uint32_t)input_offset & 0xFFFFu) | ((uint32_t)input_offset << 16);
  int32_t* dst = rows + 2 * r;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4, dst += 8) {
    const uint32_t x = tpr_load_u32(src + i);
    dst[0] = (int32_t)__sxtab16(off2, x);
    dst[1] = (int32_t)__sxtab16(off2, tpr_ror8(x));
  }
  if (i < n) {
    int16_t e[4] = {0, 0, 0, 0};
    for (int32_t k = 0; i + k < n; ++k) e[k] = (int16_t)(src[i + k] + input_offset);
    dst[0] = (int32_t)(((uint32_t)(uint16_t)e[0]) | ((uint32_t)(uint16_t)e[2] << 16));
    dst[1] = (int32_t)(((uint32_t)(uint16_t)e[1]) | ((uint32_t)(uint16_t)e[3] << 16));
  }
}

/** acc_r += dot(weights, row r) over `groups` groups of 4 starting at interleaved row pointer p
 *  (advanced by 32 bytes per group); w advanced by 4 bytes per group */
TPR_INLINE void tpr_dsp_dot4(const int8_t** w, const int32_t* p, int32_t groups, int32_t* a0,
                             int32_t* a1, int32_t* a2, int32_t* a3) {
  /* hand-scheduled (GCC 12 neither folds the ROR into SXTB16 nor pairs the loads into LDRD):
   * 17 instructions per 4 weights x 4 pixels */
  const int8_t* wp = *w;
  int32_t s0 = *a0, s1 = *a1, s2 = *a2, s3 = *a3;
  uint32_t wv, w02, w13, x0, x1;
  if (groups > 0) {
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[wv], [%[w]], #4\n\t"
        "ldrd   %[x0], %[x1], [%[p]], #8\n\t"
        "sxtb16 %[w02], %[wv]\n\t"
        "sxtb16 %[w13], %[wv], ror #8\n\t"
        "smlad  %[a0], %[w02], %[x0], %[a0]\n\t"
        "smlad  %[a0], %[w13], %[x1], %[a0]\n\t"
        "ldrd   %[x0], %[x1], [%[p]], #8\n\t"
        "smlad  %[a1], %[w02], %[x0], %[a1]\n\t"
        "smlad  %[a1], %[w13], %[x1], %[a1]\n\t"
        "ldrd   %[x0], %[x1], [%[p]], #8\n\t"
        "smlad  %[a2], %[w02], %[x0], %[a2]\n\t"
        "smlad  %[a2], %[w13], %[x1], %[a2]\n\t"
        "ldrd   %[x0], %[x1], [%[p]], #8\n\t"
        "smlad  %[a3], %[w02], %[x0], %[a3]\n\t"
        "smlad  %[a3], %[w13], %[x1], %[a3]\n\t"
        "subs   %[n], %[n], #1\n\t"
        "bne    1b\n"
        : [w] "+r"(wp), [p] "+r"(p), [n] "+r"(groups), [a0] "+r"(s0), [a1] "+r"(s1),
          [a2] "+r"(s2), [a3] "+r"(s3), [wv] "=&r"(wv), [w02] "=&r"(w02), [w13] "=&r"(w13),
          [x0] "=&r"(x0), [x1] "=&r"(x1)
        :
        : "cc", "memory");
  }
  *w = wp;
  *a0 = s0; *a1 = s1; *a2 = s2; *a3 = s3;
}

/** the last partial group (1..3 weights): weights assembled without reading past them */
TPR_INLINE void tpr_dsp_dot4_tail(const int8_t* w, int32_t n, const int32_t* p, int32_t* a0,
                                  int32_t* a1, int32_t* a2, int32_t* a3) {
  uint32_t wv = 0;
  for (int32_t k = 0; k < n; ++k) wv |= (uint32_t)(uint8_t)w[k] << (8 * k);
  const uint32_t w02 = __sxtb16(wv), w13 = __sxtb16(tpr_ror8(wv));
  *a0 = __smlad(w13, (uint32_t)p[1], __smlad(w02, (uint32_t)p[0], *a0));
  *a1 = __smlad(w13, (uint32_t)p[3], __smlad(w02, (uint32_t)p[2], *a1));
  *a2 = __smlad(w13, (uint32_t)p[5], __smlad(w02, (uint32_t)p[4], *a2));
  *a3 = __smlad(w13, (uint32_t)p[7], __smlad(w02, (uint32_t)p[6], *a3));
}

/** Requantize cnt (1..4) accumulators of one output channel and store them at out[r*stride].
 *  Bit-exact with tpr_requant_out(), written for Cortex-M4 (about 17 instructions per output):
 *  - SaturatingRoundingDoublingHighMul for mult >= 0 is floor((x*mult + 2^30) / 2^31)
 *    (one SMULL + a 64-bit add + shift);
 *  - RoundingDivideByPOT(x, r) = (x >> r) + ((x mod 2^r) + 2^(r-1) - [x < 0]) >> r, computed
 *    in unsigned arithmetic so nothing overflows;
 *  - the output offset is added with QADD (saturating, same int8 result as exact). */
TPR_INLINE void tpr_dsp_requant_store(const int32_t* acc, int32_t cnt, int32_t mult, int32_t shift,
                                      int32_t out_off, int32_t lo, int32_t hi, int8_t* out,
                                      int32_t stride) {
  const int32_t right = shift < 0 ? -shift : 0;
  const uint32_t mask = right ? (((uint32_t)1 << right) - 1u) : 0u;
  const uint32_t round = right ? ((uint32_t)1 << (right - 1)) : 0u;
  for (int32_t r = 0; r < cnt; ++r) {
    int32_t x = acc[r];
    if (shift > 0) {
      const int64_t v = (int64_t)x * ((int64_t)1 << shift);
      x = v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v);
    }
    x = (int32_t)(((int64_t)x * mult + ((int64_t)1 << 30)) >> 31);
    if (right) {
      const uint32_t t = ((uint32_t)x & mask) + round - ((uint32_t)x >> 31);
      x = (x >> right) + (int32_t)(t >> right);
    }
    int32_t v = __qadd(x, out_off);
    v = v < lo ? lo : (v > hi ? hi : v);
    out[(size_t)r * stride] = (int8_t)v;
  }
}

/** im2col + widen in one pass: interleaved int16 row slot r for output pixel (n, oy, ox);
 *  needs Cin % 4 == 0 (every tap is whole groups). */
TPR_INLINE void tpr_dsp_im2col_widen(const tpr_conv_params* p, const tpr_dims* in_dims,
                                     const int8_t* in, const tpr_dims* f, int32_t n, int32_t oy,
                                     int32_t ox, int32_t* rows, int32_t r) {
  const int32_t cin = in_dims->c, groups = cin >> 2;
  const uint32_t off2 = ((uint32_t)p->input_offset & 0xFFFFu) | ((uint32_t)p->input_offset << 16);
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
  int32_t* dst = rows + 2 * r;
  for (int32_t y = 0; y < f->h; ++y) {
    const int32_t iy = iy0 + y;
    for (int32_t x = 0; x < f->w; ++x) {
      const int32_t ix = ix0 + x;
      if (iy < 0 || iy >= in_dims->h || ix < 0 || ix >= in_dims->w) {
        for (int32_t g = 0; g < groups; ++g, dst += 8) { dst[0] = 0; dst[1] = 0; }
        continue;
      }
      const int8_t* src = in + (((size_t)n * in_dims->h + iy) * in_dims->w + ix) * cin;
      for (int32_t g = 0; g < groups; ++g, dst += 8, src += 4) {
        const uint32_t v = tpr_load_u32(src);
        dst[0] = (int32_t)__sxtab16(off2, v);
        dst[1] = (int32_t)__sxtab16(off2, tpr_ror8(v));
      }
    }
  }
}

/** bytes of the interleaved int16 rows for dot length k */
TPR_INLINE size_t tpr_dsp_rows_bytes(size_t k) { return 32u * ((k + 3u) / 4u); }

#endif
