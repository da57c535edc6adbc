#include "csr_conv.h"

#include <string.h>

#include "tpr_requant.h"

size_t csr_conv2d_s8_scratch_size(const tpr_dims* f) {
  return 4u * (size_t)f->h * f->w * f->c + 4u * (size_t)f->n + 32u;
}

static void im2col_row(const tpr_conv_params* p, const tpr_dims* in_dims, const int8_t* in,
                       const tpr_dims* f, int32_t n, int32_t oy, int32_t ox, int8_t* row) {
  const int32_t cin = in_dims->c;
  for (int32_t y = 0; y < f->h; ++y)
    for (int32_t x = 0; x < f->w; ++x, row += cin) {
      const int32_t iy = oy * p->stride_h - p->pad_top + y, ix = ox * p->stride_w - p->pad_left + x;
      if (iy < 0 || ix < 0 || iy >= in_dims->h || ix >= in_dims->w)
        memset(row, -p->input_offset, (size_t)cin);
      else
        memcpy(row, in + (((size_t)n * in_dims->h + iy) * in_dims->w + ix) * cin, (size_t)cin);
    }
}

void csr_conv2d_s8(const tpr_conv_params* p, const tpr_channel_quant* q, const tpr_dims* in_dims,
                   const int8_t* in, const tpr_dims* f, const csr_weights* w, const int32_t* bias,
                   const tpr_dims* out_dims, int8_t* out, void* scratch) {
  const int32_t k = f->h * f->w * f->c, cout = f->n;
  int8_t* rows = (int8_t*)scratch;
  int32_t* eff = (int32_t*)(void*)(rows + ((4u * (size_t)k + 15u) & ~15u));
  for (int32_t o = 0; o < cout; ++o) {
    int32_t s = 0;
    for (uint32_t j = w->row_ptr[o]; j < w->row_ptr[o + 1]; ++j) s += w->values[j];
    eff[o] = bias[o] + p->input_offset * s;
  }
  const int32_t plane = out_dims->h * out_dims->w, npix = out_dims->n * plane;
  for (int32_t pix = 0; pix < npix; pix += 4) {
    const int32_t cnt = npix - pix < 4 ? npix - pix : 4;
    for (int32_t r = 0; r < cnt; ++r) {
      const int32_t i = pix + r;
      im2col_row(p, in_dims, in, f, i / plane, (i % plane) / out_dims->w, i % out_dims->w,
                 rows + (size_t)r * k);
    }
    const int8_t* r0 = rows;
    const int8_t* r1 = rows + k;
    const int8_t* r2 = rows + 2 * k;
    const int8_t* r3 = rows + 3 * k;
    for (int32_t o = 0; o < cout; ++o) {
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (uint32_t j = w->row_ptr[o]; j < w->row_ptr[o + 1]; ++j) {
        const int32_t v = w->values[j];
        const uint32_t c = w->col[j];
        a0 += v * r0[c];
        a1 += v * r1[c];
        a2 += v * r2[c];
        a3 += v * r3[c];
      }
      const int32_t acc[4] = {a0, a1, a2, a3};
      for (int32_t r = 0; r < cnt; ++r)
        out[(size_t)(pix + r) * cout + o] = tpr_requant_out(acc[r] + eff[o], q->multiplier[o],
                                                            q->shift[o], p->output_offset,
                                                            p->act_min, p->act_max);
    }
  }
}
