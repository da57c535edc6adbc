/* Unstructured-sparse (element-wise CSR) int8 conv2d: the baseline FWCS is compared against.
 * Per filter o: nonzeros [row_ptr[o], row_ptr[o+1]) with values[] and col[] = index into the
 * im2col row ((kh*KW + kw)*Cin + c). Same 4-pixel im2col and effective-bias scheme as the
 * runtime's kernels, scalar inner loop (one index per weight). */
#ifndef TPR_BENCH_CSR_CONV_H
#define TPR_BENCH_CSR_CONV_H
#include "tpr_kernels.h"

typedef struct {
  const int8_t* values;
  const uint16_t* col;
  const uint32_t* row_ptr;
} csr_weights;

size_t csr_conv2d_s8_scratch_size(const tpr_dims* filter_dims);
void csr_conv2d_s8(const tpr_conv_params* p, const tpr_channel_quant* q, const tpr_dims* in_dims,
                   const int8_t* in, const tpr_dims* filter_dims, const csr_weights* w,
                   const int32_t* bias, const tpr_dims* out_dims, int8_t* out, void* scratch);
#endif
