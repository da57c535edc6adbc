/* Helpers of the Arm Helium (MVE, Cortex-M55) kernels. Bit-exact with the reference:
 * - VQRDMULH equals gemmlowp's SaturatingRoundingDoublingHighMul (both are floor((2ab + 2^31) /
 *   2^32) with the same saturation);
 * - RoundingDivideByPOT (half away from zero) = VRSHL (half up) applied to x - 1 for x < 0
 *   (saturating, so INT32_MIN stays exact);
 * - the left shift saturates (VQSHL) exactly like tpr_requantize(). */
#ifndef TPR_MVE_UTIL_H
#define TPR_MVE_UTIL_H

#include <arm_mve.h>

#include "../kernel_util.h"

#define TPR_INLINE static inline __attribute__((always_inline))

/** copy n bytes (MVE, tail-predicated: no access beyond src[n-1] / dst[n-1]) */
TPR_INLINE void tpr_mve_copy(int8_t* dst, const int8_t* src, int32_t n) {
  for (int32_t i = 0; i < n; i += 16) {
    const mve_pred16_t p = vctp8q((uint32_t)(n - i));
    vstrbq_p_s8(dst + i, vldrbq_z_s8(src + i, p), p);
  }
}

TPR_INLINE void tpr_mve_fill(int8_t* dst, int8_t value, int32_t n) {
  const int8x16_t v = vdupq_n_s8(value);
  for (int32_t i = 0; i < n; i += 16) vstrbq_p_s8(dst + i, v, vctp8q((uint32_t)(n - i)));
}

/** im2col row (see kernel_util.h) with MVE copies */
TPR_INLINE void tpr_mve_im2col_row(const tpr_conv_params* p, const tpr_dims* in_dims,
                                   const int8_t* in, int32_t kh, int32_t kw, int32_t n,
                                   int32_t oy, int32_t ox, int8_t* row) {
  const int32_t cin = in_dims->c;
  const int8_t pad_value = (int8_t)(-p->input_offset);
  const int32_t iy0 = oy * p->stride_h - p->pad_top;
  const int32_t ix0 = ox * p->stride_w - p->pad_left;
  int32_t x_lo = -ix0 > 0 ? -ix0 : 0;                 /* first in-bounds tap column */
  int32_t x_hi = in_dims->w - ix0 < kw ? in_dims->w - ix0 : kw; /* one past the last */
  if (x_hi < x_lo) x_hi = x_lo;
  for (int32_t y = 0; y < kh; ++y, row += kw * cin) {
    const int32_t iy = iy0 + y;
    if (iy < 0 || iy >= in_dims->h) {
      tpr_mve_fill(row, pad_value, kw * cin);
      continue;
    }
    if (x_lo > 0) tpr_mve_fill(row, pad_value, x_lo * cin);
    if (x_hi > x_lo)
      tpr_mve_copy(row + x_lo * cin,
                   in + (((size_t)n * in_dims->h + (size_t)iy) * in_dims->w + (size_t)(ix0 + x_lo)) * cin,
                   (x_hi - x_lo) * cin);
    if (x_hi < kw) tpr_mve_fill(row + x_hi * cin, pad_value, (kw - x_hi) * cin);
  }
}

/** sum of n int8 values */
TPR_INLINE int32_t tpr_mve_sum(const int8_t* w, int32_t n) {
  int32_t s = 0;
  for (int32_t i = 0; i < n; i += 16) {
    const mve_pred16_t p = vctp8q((uint32_t)(n - i));
    s = vaddvaq_s8(s, vldrbq_z_s8(w + i, p));
  }
  return s;
}

/** requantize 4 accumulators of one output channel: clamp(requant(v) + out_off) */
TPR_INLINE int32x4_t tpr_mve_requant(int32x4_t v, int32_t mult, int32_t shift, int32_t out_off,
                                     int32_t lo, int32_t hi) {
  if (shift > 0) v = vqshlq_r_s32(v, shift);
  v = vqrdmulhq_n_s32(v, mult);
  if (shift < 0) {
    v = vqaddq_s32(v, vshrq_n_s32(v, 31)); /* x - 1 for negative x: half away from zero */
    v = vrshlq_n_s32(v, shift);            /* rounding (half up) right shift by -shift */
  }
  v = vqaddq_n_s32(v, out_off);
  v = vmaxq_s32(v, vdupq_n_s32(lo));
  return vminq_s32(v, vdupq_n_s32(hi));
}

TPR_INLINE int32x4_t tpr_mve_vec4(int32_t a, int32_t b, int32_t c, int32_t d) {
  int32x4_t v; /* two 2-lane moves: lanes {0,2} <- {a,c}, lanes {1,3} <- {b,d} */
  __asm__("vmov %q0[2], %q0[0], %1, %3\n\tvmov %q0[3], %q0[1], %2, %4"
          : "=&w"(v)
          : "r"(a), "r"(b), "r"(c), "r"(d));
  return v;
}

/** 4 dot products of length n sharing the weights: acc_r += sum w[i] * row_r[i];
 *  tail lanes predicated: nothing is read beyond w[n-1] / row_r[n-1]. */
TPR_INLINE void tpr_mve_dot4p(const int8_t* w, const int8_t* r0, const int8_t* r1,
                              const int8_t* r2, const int8_t* r3, int32_t n, int32_t* a0,
                              int32_t* a1, int32_t* a2, int32_t* a3) {
  int32_t s0 = *a0, s1 = *a1, s2 = *a2, s3 = *a3;
  int32_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const int8x16_t wv = vldrbq_s8(w + i);
    s0 = vmladavaq_s8(s0, wv, vldrbq_s8(r0 + i));
    s1 = vmladavaq_s8(s1, wv, vldrbq_s8(r1 + i));
    s2 = vmladavaq_s8(s2, wv, vldrbq_s8(r2 + i));
    s3 = vmladavaq_s8(s3, wv, vldrbq_s8(r3 + i));
  }
  if (i < n) {
    const mve_pred16_t p = vctp8q((uint32_t)(n - i));
    const int8x16_t wv = vldrbq_z_s8(w + i, p);
    s0 = vmladavaq_p_s8(s0, wv, vldrbq_z_s8(r0 + i, p), p);
    s1 = vmladavaq_p_s8(s1, wv, vldrbq_z_s8(r1 + i, p), p);
    s2 = vmladavaq_p_s8(s2, wv, vldrbq_z_s8(r2 + i, p), p);
    s3 = vmladavaq_p_s8(s3, wv, vldrbq_z_s8(r3 + i, p), p);
  }
  *a0 = s0; *a1 = s1; *a2 = s2; *a3 = s3;
}

/** tpr_mve_dot4p on rows r0, r0 + stride, r0 + 2*stride, r0 + 3*stride */
TPR_INLINE void tpr_mve_dot4(const int8_t* w, const int8_t* r0, int32_t stride, int32_t n,
                             int32_t* a0, int32_t* a1, int32_t* a2, int32_t* a3) {
  tpr_mve_dot4p(w, r0, r0 + stride, r0 + 2 * stride, r0 + 3 * stride, n, a0, a1, a2, a3);
}

/** store 4 int8 results (one per lane) at out[0], out[stride], ..., first cnt lanes only */
TPR_INLINE void tpr_mve_store4(int8_t* out, uint32x4_t offsets, int32x4_t v, int32_t cnt) {
  if (cnt == 4) vstrbq_scatter_offset_s32(out, offsets, v);
  else vstrbq_scatter_offset_p_s32(out, offsets, v, vctp32q((uint32_t)cnt));
}

TPR_INLINE uint32x4_t tpr_mve_offsets(int32_t stride) {
  uint32x4_t o = vidupq_n_u32(0, 1);
  return vmulq_n_u32(o, (uint32_t)stride);
}

/* copy n 16-byte chunks from contiguous src to dst with a 64-byte destination stride;
 * returns the advanced dst (3 instructions per chunk) */
TPR_INLINE int8_t* tpr_mve_copy_chunks64(int8_t* dst, const int8_t* src, uint32_t n) {
  __asm__ volatile(
      "wls lr, %[n], 2f\n"
      "1:\n\t"
      "vldrb.8 q0, [%[s]], #16\n\t"
      "vstrb.8 q0, [%[d]], #64\n\t"
      "le lr, 1b\n"
      "2:\n"
      : [d] "+r"(dst), [s] "+r"(src)
      : [n] "r"(n)
      : "q0", "lr", "memory");
  return dst;
}

/* fill n 16-byte chunks (64-byte stride) with pad; returns the advanced dst */
TPR_INLINE int8_t* tpr_mve_fill_chunks64(int8_t* dst, int8x16_t pad, uint32_t n) {
  for (; n != 0; --n, dst += 64) vstrbq_s8(dst, pad);
  return dst;
}

/** 4 rows interleaved per 16-byte chunk: byte e of row r lives at ((e / 16) * 4 + r) * 16 + e % 16,
 *  so one pointer plus immediate offsets 0/16/32/48 reaches a chunk of all 4 rows. Needs
 *  Cin % 16 == 0. Rows cnt..3 are left untouched (their results are never stored). Each kernel
 *  row of a pixel is at most: left padding, one contiguous copy, right padding. */
TPR_INLINE void tpr_mve_interleave_rows(const tpr_conv_params* p, const tpr_dims* in_dims,
                                        const int8_t* in, const tpr_dims* f,
                                        const tpr_dims* out_dims, int32_t pix, int32_t cnt,
                                        int8_t* rows) {
  const uint32_t cc = (uint32_t)f->c >> 4; /* chunks per tap */
  const int32_t kw = f->w, in_w = in_dims->w, in_h = in_dims->h;
  const size_t in_row = (size_t)in_w * f->c;
  const int8x16_t pad = vdupq_n_s8((int8_t)(-p->input_offset));
  const int32_t plane = out_dims->h * out_dims->w;
  int32_t n = pix / plane, oy = (pix % plane) / out_dims->w, ox = pix % out_dims->w;
  for (int32_t r = 0; r < cnt; ++r) {
    const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
    int32_t x_lo = ix0 < 0 ? -ix0 : 0;
    int32_t x_hi = in_w - ix0 < kw ? in_w - ix0 : kw;
    if (x_hi < x_lo) x_hi = x_lo;
    const uint32_t left = (uint32_t)x_lo * cc, mid = (uint32_t)(x_hi - x_lo) * cc;
    const uint32_t right = (uint32_t)(kw - x_hi) * cc;
    const int8_t* base = in + (size_t)n * in_h * in_row + (size_t)(ix0 + x_lo) * f->c;
    int8_t* dst = rows + 16 * r;
    for (int32_t y = 0; y < f->h; ++y) {
      const int32_t iy = iy0 + y;
      if (iy < 0 || iy >= in_h) {
        dst = tpr_mve_fill_chunks64(dst, pad, left + mid + right);
        continue;
      }
      dst = tpr_mve_fill_chunks64(dst, pad, left);
      dst = tpr_mve_copy_chunks64(dst, base + (size_t)iy * in_row, mid);
      dst = tpr_mve_fill_chunks64(dst, pad, right);
    }
    if (++ox == out_dims->w) {
      ox = 0;
      if (++oy == out_dims->h) { oy = 0; ++n; }
    }
  }
}

/** tpr_mve_interleave_rows for a full group of 4 output pixels that lie in one output row, with
 *  stride_w == 1, KW == 3 and CH = Cin / 16 in {1, 2}: the 4 pixels' kernel rows overlap, so each
 *  kernel row is built from 6 input chunk columns, each loaded once (from `padc`, 16 bytes of the
 *  pad value, when outside the input) and stored into the 1..3 (tap, row) slots that use it:
 *  6 loads + 12 stores per kernel row and chunk. Same bytes as tpr_mve_interleave_rows. */
TPR_INLINE void tpr_mve_interleave_rows_s1k3(const tpr_conv_params* p, const tpr_dims* in_dims,
                                             const int8_t* in, int32_t kh, int32_t n, int32_t oy,
                                             int32_t ox, const int8_t* padc, int8_t* rows,
                                             const int CH) {
  const int32_t cin = 16 * CH, in_w = in_dims->w, in_h = in_dims->h;
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox - p->pad_left;
  uint32_t valid = 0; /* bit x: input column ix0 + x inside the input */
  for (int32_t x = 0; x < 6; ++x) valid |= (uint32_t)(ix0 + x >= 0 && ix0 + x < in_w) << x;
  int32_t* d = (int32_t*)(void*)rows;
  const size_t in_row = (size_t)in_w * cin;
  /* addresses in integer arithmetic: a pointer is only formed for an in-bounds column */
  const uintptr_t src_n = (uintptr_t)in + (uintptr_t)((size_t)n * in_h * in_row) + (uintptr_t)((ptrdiff_t)ix0 * cin);
  for (int32_t y = 0; y < kh; ++y) {
    const int32_t iy = iy0 + y;
    const uint32_t vy = (iy >= 0 && iy < in_h) ? valid : 0u;
    const uintptr_t src = src_n + (uintptr_t)((ptrdiff_t)iy * (ptrdiff_t)in_row);
    for (int32_t c = 0; c < CH; ++c, d += 16) {
      const uintptr_t b = src + 16u * (uint32_t)c;
#define TPR_COL(x) vreinterpretq_s32_s8(vldrbq_s8((vy & (1u << (x))) ? (const int8_t*)(b + (x) * (uint32_t)cin) : padc))
      const int32x4_t v0 = TPR_COL(0), v1 = TPR_COL(1), v2 = TPR_COL(2);
      const int32x4_t v3 = TPR_COL(3), v4 = TPR_COL(4), v5 = TPR_COL(5);
#undef TPR_COL
      /* slot (kx, r) at int32 offset kx*16*CH + r*4 (chunk c already in d) */
#define TPR_SLOT(kx, r) (d + (kx) * 16 * CH + (r) * 4)
      vstrwq_s32(TPR_SLOT(0, 0), v0);
      vstrwq_s32(TPR_SLOT(1, 0), v1); vstrwq_s32(TPR_SLOT(0, 1), v1);
      vstrwq_s32(TPR_SLOT(2, 0), v2); vstrwq_s32(TPR_SLOT(1, 1), v2); vstrwq_s32(TPR_SLOT(0, 2), v2);
      vstrwq_s32(TPR_SLOT(2, 1), v3); vstrwq_s32(TPR_SLOT(1, 2), v3); vstrwq_s32(TPR_SLOT(0, 3), v3);
      vstrwq_s32(TPR_SLOT(2, 2), v4); vstrwq_s32(TPR_SLOT(1, 3), v4);
      vstrwq_s32(TPR_SLOT(2, 3), v5);
#undef TPR_SLOT
    }
    d += 3 * 16 * CH - 16 * CH; /* next kernel row: 3 taps of CH chunks x 4 rows (16 int32 each) */
  }
}

/* Hand-scheduled inner loops (GCC 12 does not fold the 4-row addressing into immediate offsets
 * + write-back). Accumulators use the "Te" (even register) constraint VMLADAVA requires.
 * Chunk body: 1 weight load, 4 row loads (imm offsets 16/32/48, the last with write-back #64),
 * 4 VMLADAVA. */
#define TPR_MVE_ASM_CHUNK                   \
  "vldrb.8     q0, [%[w]], #16\n\t"          \
  "vldrb.8     q1, [%[r], #16]\n\t"          \
  "vldrb.8     q2, [%[r], #32]\n\t"          \
  "vmladava.s8 %[a1], q0, q1\n\t"            \
  "vldrb.8     q3, [%[r], #48]\n\t"          \
  "vmladava.s8 %[a2], q0, q2\n\t"            \
  "vldrb.8     q4, [%[r]], #64\n\t"          \
  "vmladava.s8 %[a3], q0, q3\n\t"            \
  "vmladava.s8 %[a0], q0, q4\n\t"

/** dense: `chunks` consecutive weight chunks at *w against interleaved rows at r (low-overhead
 *  loop: 10 instructions per 64 MACs); advances *w */
TPR_INLINE void tpr_mve_il_dense(const int8_t** w, const int8_t* r, uint32_t chunks, int32_t* a0,
                                 int32_t* a1, int32_t* a2, int32_t* a3) {
  const int8_t* wp = *w;
  int32_t s0 = *a0, s1 = *a1, s2 = *a2, s3 = *a3;
  __asm__ volatile(
      "wls lr, %[n], 2f\n"
      "1:\n\t" TPR_MVE_ASM_CHUNK
      "le lr, 1b\n"
      "2:\n"
      : [w] "+r"(wp), [r] "+r"(r), [a0] "+Te"(s0), [a1] "+Te"(s1), [a2] "+Te"(s2), [a3] "+Te"(s3)
      : [n] "r"(chunks)
      : "q0", "q1", "q2", "q3", "q4", "lr", "memory");
  *w = wp;
  *a0 = s0; *a1 = s1; *a2 = s2; *a3 = s3;
}

/** FWCS, one filter: n kept filterlets of CH (1 or 2) chunks; *off walks the filterlets'
 *  interleaved-row pointers; advances *v and *off. Per filterlet: 2 + 9*CH instructions. */
TPR_INLINE void tpr_mve_il_fwcs(const int8_t** v, const int8_t* const** off, uint32_t n,
                                const int CH, int32_t* a0, int32_t* a1, int32_t* a2, int32_t* a3) {
  const int8_t* wp = *v;
  const int8_t* const* op = *off;
  int32_t s0 = *a0, s1 = *a1, s2 = *a2, s3 = *a3;
  const int8_t* r;
  if (CH == 1) {
    __asm__ volatile(
        "wls lr, %[n], 2f\n"
        "1:\n\t"
        "ldr %[r], [%[o]], #4\n\t" TPR_MVE_ASM_CHUNK
        "le lr, 1b\n"
        "2:\n"
        : [w] "+r"(wp), [o] "+r"(op), [r] "=&r"(r), [a0] "+Te"(s0), [a1] "+Te"(s1),
          [a2] "+Te"(s2), [a3] "+Te"(s3)
        : [n] "r"(n)
        : "q0", "q1", "q2", "q3", "q4", "lr", "memory");
  } else {
    __asm__ volatile(
        "wls lr, %[n], 2f\n"
        "1:\n\t"
        "ldr %[r], [%[o]], #4\n\t" TPR_MVE_ASM_CHUNK TPR_MVE_ASM_CHUNK
        "le lr, 1b\n"
        "2:\n"
        : [w] "+r"(wp), [o] "+r"(op), [r] "=&r"(r), [a0] "+Te"(s0), [a1] "+Te"(s1),
          [a2] "+Te"(s2), [a3] "+Te"(s3)
        : [n] "r"(n)
        : "q0", "q1", "q2", "q3", "q4", "lr", "memory");
  }
  *v = wp;
  *off = op;
  *a0 = s0; *a1 = s1; *a2 = s2; *a3 = s3;
}

/** Per-output-channel parameters gathered once per call (one pointer walks them in the hot loop). */
typedef struct {
  int32_t eff;   /* bias + input_offset * sum(weights) */
  int32_t mult;
  int32_t shift;
  uint32_t count; /* FWCS: kept filterlets of this filter */
} tpr_mve_chan;

/** requantize 4 accumulators of one channel (eff already added); vlo/vhi: clamp bounds */
TPR_INLINE int32x4_t tpr_mve_requant_chan(int32x4_t v, const tpr_mve_chan* c, int32_t out_off,
                                          int32x4_t vlo, int32x4_t vhi) {
  const int32_t sh = c->shift;
  if (__builtin_expect(sh > 0, 0)) v = vqshlq_r_s32(v, sh);
  v = vqrdmulhq_n_s32(v, c->mult);
  if (__builtin_expect(sh < 0, 1)) {
    v = vqaddq_s32(v, vshrq_n_s32(v, 31));
    v = vrshlq_n_s32(v, sh);
  }
  v = vqaddq_n_s32(v, out_off);
  return vminq_s32(vmaxq_s32(v, vlo), vhi);
}

#endif
