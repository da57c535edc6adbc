/* Reference int8 depthwise conv2d (any depth multiplier). See tpr_kernels.h. */
#include "../kernel_util.h"

size_t tpr_depthwise_conv2d_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                            const tpr_dims* out_dims) {
  (void)in_dims; (void)filter_dims; (void)out_dims;
  return 0;
}

void tpr_depthwise_conv2d_s8(const tpr_conv_params* p, const tpr_channel_quant* q,
                             const tpr_dims* in_dims, const int8_t* in,
                             const tpr_dims* filter_dims, const int8_t* filter,
                             const int32_t* bias, const tpr_dims* out_dims, int8_t* out,
                             void* scratch) {
  (void)scratch;
  const int32_t cin = in_dims->c, cout = out_dims->c, mult = cout / cin;
  const int32_t kh = filter_dims->h, kw = filter_dims->w;
  for (int32_t n = 0; n < out_dims->n; ++n)
    for (int32_t oy = 0; oy < out_dims->h; ++oy)
      for (int32_t ox = 0; ox < out_dims->w; ++ox) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        for (int32_t o = 0; o < cout; ++o) {
          const int32_t c = o / mult;
          int32_t acc = bias ? bias[o] : 0;
          for (int32_t y = 0; y < kh; ++y) {
            const int32_t iy = iy0 + y;
            if (iy < 0 || iy >= in_dims->h) continue;
            for (int32_t x = 0; x < kw; ++x) {
              const int32_t ix = ix0 + x;
              if (ix < 0 || ix >= in_dims->w) continue;
              const int32_t v = in[(((size_t)n * in_dims->h + iy) * in_dims->w + ix) * cin + c];
              acc += (v + p->input_offset) * filter[((size_t)y * kw + x) * cout + o];
            }
          }
          *out++ = tpr_requant_out(acc, q->multiplier[o], q->shift[o], p->output_offset,
                                   p->act_min, p->act_max);
        }
      }
}
