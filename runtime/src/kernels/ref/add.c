/* Reference int8 element-wise add, TFLite quantized semantics. See tpr_kernels.h. */
#include "../kernel_util.h"

void tpr_add_s8(const tpr_add_params* p, size_t n, const int8_t* a, const int8_t* b, int8_t* out) {
  const int32_t ls = (int32_t)1 << p->left_shift;
  for (size_t i = 0; i < n; ++i) {
    const int32_t x0 = (a[i] + p->input0_offset) * ls;
    const int32_t x1 = (b[i] + p->input1_offset) * ls;
    const int32_t s0 = tpr_requantize(x0, p->input0_mult, p->input0_shift);
    const int32_t s1 = tpr_requantize(x1, p->input1_mult, p->input1_shift);
    int64_t sum = (int64_t)s0 + s1; /* saturate where TFLite would overflow */
    sum = sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : sum);
    out[i] = tpr_requant_out((int32_t)sum, p->output_mult, p->output_shift, p->output_offset,
                             p->act_min, p->act_max);
  }
}
