/* 1x1 int8 conv2d for Arm Helium (MVE): 4 input pixels are the rows (no im2col, no scratch rows),
 * weights reused across them, vector requantization. See tpr_kernels.h. */
#include "mve_util.h"

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
  for (int32_t o = 0; o < cout; ++o)
    eff[o] = (bias ? bias[o] : 0) + p->input_offset * tpr_mve_sum(filter + (size_t)o * cin, cin);
  const uint32x4_t offs = tpr_mve_offsets(cout);
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
    const int8_t* w = filter;
    int8_t* o_ptr = out + (size_t)pix * cout;
    for (int32_t o = 0; o < cout; ++o, w += cin) {
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      tpr_mve_dot4p(w, r[0], r[1], r[2], r[3], cin, &a0, &a1, &a2, &a3);
      int32x4_t v = vaddq_n_s32(tpr_mve_vec4(a0, a1, a2, a3), eff[o]);
      v = tpr_mve_requant(v, q->multiplier[o], q->shift[o], p->output_offset, p->act_min, p->act_max);
      tpr_mve_store4(o_ptr + o, offs, v, cnt);
    }
  }
}
