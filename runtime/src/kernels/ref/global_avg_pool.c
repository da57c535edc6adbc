/* Reference int8 global average pool (mean over H and W). See tpr_kernels.h. */
#include "../kernel_util.h"

void tpr_global_avg_pool_s8(const tpr_gap_params* p, const tpr_dims* in_dims, const int8_t* in,
                            int8_t* out) {
  const int32_t hw = in_dims->h * in_dims->w, ch = in_dims->c;
  for (int32_t n = 0; n < in_dims->n; ++n) {
    const int8_t* base = in + (size_t)n * hw * ch;
    for (int32_t c = 0; c < ch; ++c) {
      int32_t acc = 0;
      for (int32_t i = 0; i < hw; ++i) acc += base[(size_t)i * ch + c] + p->input_offset;
      *out++ = tpr_requant_out(acc, p->multiplier, p->shift, p->output_offset, p->act_min,
                               p->act_max);
    }
  }
}
