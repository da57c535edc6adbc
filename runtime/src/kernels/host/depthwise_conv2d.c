/* int8 depthwise conv2d, portable optimized C: channels innermost (vectorizable), int32
 * accumulators per output channel in scratch. See tpr_kernels.h. */
#include "host_util.h"

size_t tpr_depthwise_conv2d_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                            const tpr_dims* out_dims) {
  (void)in_dims; (void)filter_dims;
  return 4u * (size_t)out_dims->c + 16u;
}

void tpr_depthwise_conv2d_s8(const tpr_conv_params* p, const tpr_channel_quant* q,
                             const tpr_dims* in_dims, const int8_t* in,
                             const tpr_dims* filter_dims, const int8_t* filter,
                             const int32_t* bias, const tpr_dims* out_dims, int8_t* out,
                             void* scratch) {
  const int32_t cin = in_dims->c, cout = out_dims->c, mult = cout / cin;
  const int32_t kh = filter_dims->h, kw = filter_dims->w;
  int32_t* restrict acc = (int32_t*)scratch;
  for (int32_t n = 0; n < out_dims->n; ++n)
    for (int32_t oy = 0; oy < out_dims->h; ++oy)
      for (int32_t ox = 0; ox < out_dims->w; ++ox) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        for (int32_t o = 0; o < cout; ++o) acc[o] = bias ? bias[o] : 0;
        for (int32_t y = 0; y < kh; ++y) {
          const int32_t iy = iy0 + y;
          if (iy < 0 || iy >= in_dims->h) continue;
          for (int32_t x = 0; x < kw; ++x) {
            const int32_t ix = ix0 + x;
            if (ix < 0 || ix >= in_dims->w) continue;
            const int8_t* restrict src = in + (((size_t)n * in_dims->h + iy) * in_dims->w + ix) * cin;
            const int8_t* restrict wt = filter + ((size_t)y * kw + x) * cout;
            if (mult == 1) {
              for (int32_t c = 0; c < cout; ++c) acc[c] += (src[c] + p->input_offset) * wt[c];
            } else {
              for (int32_t o = 0; o < cout; ++o) acc[o] += (src[o / mult] + p->input_offset) * wt[o];
            }
          }
        }
        for (int32_t o = 0; o < cout; ++o)
          *out++ = tpr_requant_out(acc[o], q->multiplier[o], q->shift[o], p->output_offset,
                                   p->act_min, p->act_max);
      }
}
