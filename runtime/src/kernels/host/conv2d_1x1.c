/* 1x1 int8 conv2d, portable optimized C: input pixels are the rows (no im2col), 4 pixels per
 * weight pass, input offset folded into an effective bias. See tpr_kernels.h. */
#include "host_util.h"

size_t tpr_conv2d_1x1_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                      const tpr_dims* out_dims) {
  (void)in_dims; (void)out_dims;
  return 4u * (size_t)filter_dims->n + 16u;
}

void tpr_conv2d_1x1_s8(const tpr_conv_params* p, const tpr_channel_quant* q,
                       const tpr_dims* in_dims, const int8_t* in, const tpr_dims* filter_dims,
                       const int8_t* filter, const int32_t* bias, const tpr_dims* out_dims,
                       int8_t* out, void* scratch) {
  const int32_t cin = in_dims->c, cout = filter_dims->n;
  int32_t* eff = (int32_t*)scratch;
  tpr_effective_bias(filter, cout, cin, bias, p->input_offset, eff);
  const int32_t plane = out_dims->h * out_dims->w, npix = out_dims->n * plane;
  for (int32_t pix = 0; pix < npix; pix += 4) {
    const int32_t cnt = npix - pix < 4 ? npix - pix : 4;
    const int8_t* r[4];
    for (int32_t j = 0; j < 4; ++j) {
      const int32_t i = pix + (j < cnt ? j : 0);
      const int32_t n = i / plane, oy = (i % plane) / out_dims->w, ox = i % out_dims->w;
      r[j] = in + (((size_t)n * in_dims->h + (size_t)oy * p->stride_h) * in_dims->w +
                   (size_t)ox * p->stride_w) * cin;
    }
    int8_t* o_ptr = out + (size_t)pix * cout;
    for (int32_t o = 0; o < cout; ++o) {
      int32_t acc[4] = {0, 0, 0, 0};
      tpr_dot4_s8(filter + (size_t)o * cin, r[0], r[1], r[2], r[3], cin, acc);
      for (int32_t j = 0; j < cnt; ++j)
        o_ptr[(size_t)j * cout + o] = tpr_requant_out(acc[j] + eff[o], q->multiplier[o],
                                                      q->shift[o], p->output_offset, p->act_min,
                                                      p->act_max);
    }
  }
}
