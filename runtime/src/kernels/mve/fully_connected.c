/* int8 fully connected for Arm Helium (MVE): 4 output channels per pass share each 16-byte
 * input chunk, input offset folded into an effective bias. See tpr_kernels.h. */
#include "mve_util.h"

size_t tpr_fully_connected_s8_scratch_size(int32_t in_features, int32_t out_features) {
  (void)in_features;
  return 4u * (size_t)out_features + 16u;
}

void tpr_fully_connected_s8(const tpr_fc_params* p, const tpr_channel_quant* q, int32_t batches,
                            int32_t in_features, const int8_t* in, int32_t out_features,
                            const int8_t* w, const int32_t* bias, int8_t* out, void* scratch) {
  int32_t* eff = (int32_t*)scratch;
  for (int32_t o = 0; o < out_features; ++o)
    eff[o] = (bias ? bias[o] : 0) + p->input_offset * tpr_mve_sum(w + (size_t)o * in_features, in_features);
  for (int32_t b = 0; b < batches; ++b, in += in_features, out += out_features) {
    for (int32_t o = 0; o < out_features; o += 4) {
      const int32_t cnt = out_features - o < 4 ? out_features - o : 4;
      const int8_t* w0 = w + (size_t)o * in_features;
      const int8_t* w1 = cnt > 1 ? w0 + in_features : w0;
      const int8_t* w2 = cnt > 2 ? w0 + 2 * in_features : w0;
      const int8_t* w3 = cnt > 3 ? w0 + 3 * in_features : w0;
      int32_t a[4] = {0, 0, 0, 0};
      tpr_mve_dot4p(in, w0, w1, w2, w3, in_features, &a[0], &a[1], &a[2], &a[3]);
      for (int32_t r = 0; r < cnt; ++r) { /* per-channel quantization: scalar per output */
        int32x4_t v = vdupq_n_s32(a[r] + eff[o + r]);
        v = tpr_mve_requant(v, q->multiplier[o + r], q->shift[o + r], p->output_offset,
                            p->act_min, p->act_max);
        out[o + r] = (int8_t)vgetq_lane_s32(v, 0);
      }
    }
  }
}
