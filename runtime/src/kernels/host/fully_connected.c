/* int8 fully connected, portable optimized C: input offset folded into an effective bias,
 * vectorizable dot products. See tpr_kernels.h. */
#include "host_util.h"

size_t tpr_fully_connected_s8_scratch_size(int32_t in_features, int32_t out_features) {
  (void)in_features;
  return 4u * (size_t)out_features + 16u;
}

void tpr_fully_connected_s8(const tpr_fc_params* p, const tpr_channel_quant* q, int32_t batches,
                            int32_t in_features, const int8_t* in, int32_t out_features,
                            const int8_t* w, const int32_t* bias, int8_t* out, void* scratch) {
  int32_t* eff = (int32_t*)scratch;
  tpr_effective_bias(w, out_features, in_features, bias, p->input_offset, eff);
  for (int32_t b = 0; b < batches; ++b, in += in_features)
    for (int32_t o = 0; o < out_features; ++o)
      *out++ = tpr_requant_out(tpr_dot1_s8(w + (size_t)o * in_features, in, in_features) + eff[o],
                               q->multiplier[o], q->shift[o], p->output_offset, p->act_min,
                               p->act_max);
}
