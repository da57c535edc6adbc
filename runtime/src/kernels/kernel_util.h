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

#define TPR_ALIGN16(x) (((x) + 15u) & ~(size_t)15u)

#endif
