/* Reference int8 max / average pooling. See tpr_kernels.h. */
#include "../kernel_util.h"

static void pool(const tpr_pool_params* p, const tpr_dims* in_dims, const int8_t* in,
                 const tpr_dims* out_dims, int8_t* out, int is_max) {
  const int32_t ch = in_dims->c;
  for (int32_t n = 0; n < out_dims->n; ++n)
    for (int32_t oy = 0; oy < out_dims->h; ++oy)
      for (int32_t ox = 0; ox < out_dims->w; ++ox) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        for (int32_t c = 0; c < ch; ++c) {
          int32_t acc = is_max ? -128 : 0, count = 0;
          for (int32_t y = 0; y < p->kernel_h; ++y) {
            const int32_t iy = iy0 + y;
            if (iy < 0 || iy >= in_dims->h) continue;
            for (int32_t x = 0; x < p->kernel_w; ++x) {
              const int32_t ix = ix0 + x;
              if (ix < 0 || ix >= in_dims->w) continue;
              const int32_t v = in[(((size_t)n * in_dims->h + iy) * in_dims->w + ix) * ch + c];
              if (is_max) acc = v > acc ? v : acc;
              else acc += v;
              ++count;
            }
          }
          if (!is_max && count > 0)
            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          *out++ = tpr_clamp_s8(acc, p->act_min, p->act_max);
        }
      }
}

void tpr_max_pool_s8(const tpr_pool_params* p, const tpr_dims* in_dims, const int8_t* in,
                     const tpr_dims* out_dims, int8_t* out) {
  pool(p, in_dims, in, out_dims, out, 1);
}

void tpr_avg_pool_s8(const tpr_pool_params* p, const tpr_dims* in_dims, const int8_t* in,
                     const tpr_dims* out_dims, int8_t* out) {
  pool(p, in_dims, in, out_dims, out, 0);
}
