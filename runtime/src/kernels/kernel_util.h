/* Internal helpers shared by all kernel variants (not installed). */
#ifndef TPR_KERNEL_UTIL_H
#define TPR_KERNEL_UTIL_H

#include <string.h>

#include "tpr_kernels.h"
#include "tpr_requant.h"

/** Entry i of an unsigned index array whose entries are 1, 2 or 4 bytes (native = little endian). */
static inline uint32_t tpr_idx_at(const void* a, uint8_t bytes, uint32_t i) {
  if (bytes == 1) return ((const uint8_t*)a)[i];
  if (bytes == 2) return ((const uint16_t*)a)[i];
  return ((const uint32_t*)a)[i];
}

/**
 * im2col row of output pixel (n, oy, ox): KH*KW*Cin bytes in kh -> kw -> c order; taps outside the
 * input are filled with the input zero point (-input_offset) so that (x + input_offset) == 0.
 */
static inline void tpr_im2col_row_s8(const tpr_conv_params* p, const tpr_dims* in_dims,
                                     const int8_t* in, int32_t kh, int32_t kw, int32_t n,
                                     int32_t oy, int32_t ox, int8_t* row) {
  const int32_t cin = in_dims->c;
  const int8_t pad_value = (int8_t)(-p->input_offset);
  const int32_t iy0 = oy * p->stride_h - p->pad_top;
  const int32_t ix0 = ox * p->stride_w - p->pad_left;
  for (int32_t y = 0; y < kh; ++y) {
    const int32_t iy = iy0 + y;
    if (iy < 0 || iy >= in_dims->h) {
      memset(row, pad_value, (size_t)(kw * cin));
      row += kw * cin;
      continue;
    }
    const int8_t* src = in + (((size_t)n * in_dims->h + (size_t)iy) * in_dims->w) * cin;
    int32_t x = 0;
    /* left padding, in-bounds run, right padding */
    while (x < kw && ix0 + x < 0) { memset(row, pad_value, (size_t)cin); row += cin; ++x; }
    int32_t run = kw - x;
    if (ix0 + x + run > in_dims->w) run = in_dims->w - (ix0 + x);
    if (run > 0) {
      memcpy(row, src + (size_t)(ix0 + x) * cin, (size_t)(run * cin));
      row += run * cin;
      x += run;
    }
    if (x < kw) { memset(row, pad_value, (size_t)((kw - x) * cin)); row += (kw - x) * cin; }
  }
}

/** Position j of an FWCS position array with 4-, 8-, 16- or 32-bit entries. */
static inline uint32_t tpr_pos_at(const void* a, uint8_t bits, uint32_t j) {
  if (bits == 4) return (((const uint8_t*)a)[j >> 1] >> ((j & 1u) << 2)) & 15u;
  return tpr_idx_at(a, (uint8_t)(bits >> 3), j);
}

/** 1 when w uses the MASK index kind (filterlet bitmap, no row pointers), 0 for CSR. */
static inline int tpr_fwcs_is_mask(const tpr_fwcs_weights* w) { return w->row_ptr_bytes == 0; }

/** Walks the kept filterlets of one filter, in values order, for either index kind. */
typedef struct { uint32_t j, end, f, f0, f_end, bits; int window; } tpr_fwcs_cursor;

/** index of the lowest set bit of x != 0 */
static inline uint32_t tpr_ctz(uint32_t x) {
#if defined(__GNUC__) || defined(__clang__)
  return (uint32_t)__builtin_ctz(x);
#else
  uint32_t n = 0;
  while (!(x & 1u)) { x >>= 1; ++n; }
  return n;
#endif
}

/** Start filter o (taps = KH*KW). MASK with taps <= 25: the filter's bits are read once into a
 *  32-bit window (only the bitmap bytes that hold them) and walked with count-trailing-zeros. */
static inline void tpr_fwcs_filter(const tpr_fwcs_weights* w, uint32_t taps, uint32_t o,
                                   tpr_fwcs_cursor* c) {
  c->j = c->end = c->f = c->f0 = c->f_end = c->bits = 0;
  c->window = 0;
  if (tpr_fwcs_is_mask(w)) {
    c->f0 = c->f = o * taps;
    c->f_end = c->f0 + taps;
    c->window = taps <= 25u;
    if (c->window) {
      const uint8_t* m = (const uint8_t*)w->pos + (c->f0 >> 3);
      const uint32_t sh = c->f0 & 7u, nbytes = (sh + taps + 7u) >> 3;
      uint32_t x = 0;
      for (uint32_t i = 0; i < nbytes; ++i) x |= (uint32_t)m[i] << (8u * i);
      c->bits = (x >> sh) & ((1u << taps) - 1u);
    }
  } else {
    c->j = tpr_idx_at(w->row_ptr, w->row_ptr_bytes, o);
    c->end = tpr_idx_at(w->row_ptr, w->row_ptr_bytes, o + 1u);
  }
}

/** Next kept filterlet of the current filter: *t = its position kh*KW + kw; 0 when done. */
static inline int tpr_fwcs_next(const tpr_fwcs_weights* w, tpr_fwcs_cursor* c, uint32_t* t) {
  if (tpr_fwcs_is_mask(w)) {
    if (c->window) {
      if (!c->bits) return 0;
      *t = tpr_ctz(c->bits);
      c->bits &= c->bits - 1u;
      return 1;
    }
    const uint8_t* m = (const uint8_t*)w->pos;
    while (c->f < c->f_end) {
      const uint32_t f = c->f++;
      if ((m[f >> 3] >> (f & 7u)) & 1u) { *t = f - c->f0; return 1; }
    }
    return 0;
  }
  if (c->j >= c->end) return 0;
  *t = tpr_pos_at(w->pos, w->pos_bits, c->j++);
  return 1;
}

#define TPR_ALIGN16(x) (((x) + 15u) & ~(size_t)15u)

#endif
