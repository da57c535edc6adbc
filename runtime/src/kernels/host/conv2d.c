/* Dense int8 conv2d, portable optimized C: im2col rows of 4 output pixels, each filter's weights
 * reused across the 4 rows, input offset folded into an effective bias. See tpr_kernels.h. */
#include "host_util.h"

size_t tpr_conv2d_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                  const tpr_dims* out_dims) {
  (void)in_dims; (void)out_dims;
  const size_t k = (size_t)filter_dims->h * filter_dims->w * filter_dims->c;
  return TPR_ALIGN16(4u * k) + 4u * (size_t)filter_dims->n + 16u;
}

void tpr_conv2d_s8(const tpr_conv_params* p, const tpr_channel_quant* q, const tpr_dims* in_dims,
                   const int8_t* in, const tpr_dims* filter_dims, const int8_t* filter,
                   const int32_t* bias, const tpr_dims* out_dims, int8_t* out, void* scratch) {
  const int32_t k = filter_dims->h * filter_dims->w * filter_dims->c, cout = filter_dims->n;
  int8_t* rows = (int8_t*)scratch;
  int32_t* eff = (int32_t*)(void*)((uint8_t*)scratch + TPR_ALIGN16(4u * (size_t)k));
  tpr_effective_bias(filter, cout, k, bias, p->input_offset, eff);
  const int32_t npix = out_dims->n * out_dims->h * out_dims->w;
  for (int32_t pix = 0; pix < npix; pix += 4) {
    const int32_t cnt = npix - pix < 4 ? npix - pix : 4;
    tpr_im2col_rows(p, in_dims, in, filter_dims, out_dims, pix, cnt, rows);
    int8_t* o_ptr = out + (size_t)pix * cout;
    for (int32_t o = 0; o < cout; ++o) {
      const int8_t* w = filter + (size_t)o * k;
      int32_t acc[4] = {0, 0, 0, 0};
      if (cnt == 4) {
        tpr_dot4_s8(w, rows, rows + k, rows + 2 * k, rows + 3 * k, k, acc);
      } else {
        for (int32_t r = 0; r < cnt; ++r) acc[r] = tpr_dot1_s8(w, rows + (size_t)r * k, k);
      }
      for (int32_t r = 0; r < cnt; ++r)
        o_ptr[(size_t)r * cout + o] = tpr_requant_out(acc[r] + eff[o], q->multiplier[o], q->shift[o],
                                                      p->output_offset, p->act_min, p->act_max);
    }
  }
}
