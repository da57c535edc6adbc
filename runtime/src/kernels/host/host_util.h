/* Helpers of the portable optimized ("host") kernels: plain C99 shaped for auto-vectorization.
 * Bit-exact with the reference kernels (same integer arithmetic, different order of exact int32
 * sums, which cannot overflow under the documented preconditions). */
#ifndef TPR_HOST_UTIL_H
#define TPR_HOST_UTIL_H

#include "../kernel_util.h"

/* 4 dot products sharing one weight vector (weights loaded once, reused for 4 rows) */
static inline void tpr_dot4_s8(const int8_t* restrict w, const int8_t* restrict r0,
                               const int8_t* restrict r1, const int8_t* restrict r2,
                               const int8_t* restrict r3, int32_t n, int32_t acc[4]) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t wv = w[i];
    a0 += wv * r0[i];
    a1 += wv * r1[i];
    a2 += wv * r2[i];
    a3 += wv * r3[i];
  }
  acc[0] += a0; acc[1] += a1; acc[2] += a2; acc[3] += a3;
}

static inline int32_t tpr_dot1_s8(const int8_t* restrict w, const int8_t* restrict r, int32_t n) {
  int32_t a = 0;
  for (int32_t i = 0; i < n; ++i) a += (int32_t)w[i] * r[i];
  return a;
}

static inline int32_t tpr_sum_s8(const int8_t* w, int32_t n) {
  int32_t s = 0;
  for (int32_t i = 0; i < n; ++i) s += w[i];
  return s;
}

/* eff[o] = bias[o] + input_offset * sum(w[o][0..k-1]) for dense rows of length k */
static inline void tpr_effective_bias(const int8_t* w, int32_t rows, int32_t k, const int32_t* bias,
                                      int32_t input_offset, int32_t* eff) {
  for (int32_t o = 0; o < rows; ++o)
    eff[o] = (bias ? bias[o] : 0) + input_offset * tpr_sum_s8(w + (size_t)o * k, k);
}

/* im2col rows for pixels [pix, pix+cnt) of the flattened (n, oy, ox) output grid */
static inline void tpr_im2col_rows(const tpr_conv_params* p, const tpr_dims* in_dims,
                                   const int8_t* in, const tpr_dims* f, const tpr_dims* out_dims,
                                   int32_t pix, int32_t cnt, int8_t* rows) {
  const int32_t plane = out_dims->h * out_dims->w;
  const int32_t k = f->h * f->w * f->c;
  for (int32_t r = 0; r < cnt; ++r) {
    const int32_t i = pix + r;
    tpr_im2col_row_s8(p, in_dims, in, f->h, f->w, i / plane, (i % plane) / out_dims->w,
                      i % out_dims->w, rows + (size_t)r * k);
  }
}

#endif
