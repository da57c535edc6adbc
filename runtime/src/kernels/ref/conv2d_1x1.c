/* Reference 1x1 int8 conv2d (pad 0, any stride). See tpr_kernels.h. */
#include "../kernel_util.h"

size_t tpr_conv2d_1x1_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                      const tpr_dims* out_dims) {
  (void)in_dims; (void)filter_dims; (void)out_dims;
  return 0;
}

void tpr_conv2d_1x1_s8(const tpr_conv_params* p, const tpr_channel_quant* q,
                       const tpr_dims* in_dims, const int8_t* in, const tpr_dims* filter_dims,
                       const int8_t* filter, const int32_t* bias, const tpr_dims* out_dims,
                       int8_t* out, void* scratch) {
  (void)scratch;
  const int32_t cin = in_dims->c, cout = filter_dims->n;
  for (int32_t n = 0; n < out_dims->n; ++n)
    for (int32_t oy = 0; oy < out_dims->h; ++oy)
      for (int32_t ox = 0; ox < out_dims->w; ++ox) {
        const int8_t* src = in + (((size_t)n * in_dims->h + (size_t)oy * p->stride_h) * in_dims->w +
                                  (size_t)ox * p->stride_w) * cin;
        for (int32_t o = 0; o < cout; ++o) {
          const int8_t* w = filter + (size_t)o * cin;
          int32_t acc = bias ? bias[o] : 0;
          for (int32_t c = 0; c < cin; ++c) acc += (src[c] + p->input_offset) * w[c];
          *out++ = tpr_requant_out(acc, q->multiplier[o], q->shift[o], p->output_offset,
                                   p->act_min, p->act_max);
        }
      }
}
