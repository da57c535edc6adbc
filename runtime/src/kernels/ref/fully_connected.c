/* Reference int8 fully connected layer. See tpr_kernels.h. */
#include "../kernel_util.h"

size_t tpr_fully_connected_s8_scratch_size(int32_t in_features, int32_t out_features) {
  (void)in_features; (void)out_features;
  return 0;
}

void tpr_fully_connected_s8(const tpr_fc_params* p, const tpr_channel_quant* q, int32_t batches,
                            int32_t in_features, const int8_t* in, int32_t out_features,
                            const int8_t* w, const int32_t* bias, int8_t* out, void* scratch) {
  (void)scratch;
  for (int32_t b = 0; b < batches; ++b, in += in_features)
    for (int32_t o = 0; o < out_features; ++o) {
      const int8_t* wr = w + (size_t)o * in_features;
      int32_t acc = bias ? bias[o] : 0;
      for (int32_t c = 0; c < in_features; ++c) acc += (in[c] + p->input_offset) * wr[c];
      *out++ = tpr_requant_out(acc, q->multiplier[o], q->shift[o], p->output_offset,
                               p->act_min, p->act_max);
    }
}
