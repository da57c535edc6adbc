/* Dense int8 conv2d for Armv7E-M DSP (Cortex-M4/M7): im2col rows of 4 output pixels widened to
 * int16 with the input offset added (SXTAB16), interleaved per group of 4 elements; each group of
 * 4 weights is sign-extended once (SXTB16) and used for the 4 pixels with 8 SMLADs.
 * See tpr_kernels.h and dsp_util.h. */
#include "dsp_util.h"

/* scratch: int8 im2col row (K + 16) | interleaved int16 rows */
size_t tpr_conv2d_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                  const tpr_dims* out_dims) {
  (void)in_dims; (void)out_dims;
  const size_t k = (size_t)filter_dims->h * filter_dims->w * filter_dims->c;
  return TPR_ALIGN16(k + 16u) + tpr_dsp_rows_bytes(k) + 16u;
}

void tpr_conv2d_s8(const tpr_conv_params* p, const tpr_channel_quant* q, const tpr_dims* in_dims,
                   const int8_t* in, const tpr_dims* filter_dims, const int8_t* filter,
                   const int32_t* bias, const tpr_dims* out_dims, int8_t* out, void* scratch) {
  const int32_t cout = filter_dims->n, k = filter_dims->h * filter_dims->w * filter_dims->c;
  int8_t* tmp = (int8_t*)scratch;
  int32_t* rows = (int32_t*)(void*)((uint8_t*)scratch + TPR_ALIGN16((size_t)k + 16u));
  const int32_t groups = k >> 2, tail = k & 3;
  const int32_t plane = out_dims->h * out_dims->w, npix = out_dims->n * plane;
  for (int32_t pix = 0; pix < npix; pix += 4) {
    const int32_t cnt = npix - pix < 4 ? npix - pix : 4;
    for (int32_t r = 0; r < cnt; ++r) {
      const int32_t i = pix + r;
      const int32_t n = i / plane, oy = (i % plane) / out_dims->w, ox = i % out_dims->w;
      if ((filter_dims->c & 3) == 0) {
        tpr_dsp_im2col_widen(p, in_dims, in, filter_dims, n, oy, ox, rows, r);
      } else {
        tpr_im2col_row_s8(p, in_dims, in, filter_dims->h, filter_dims->w, n, oy, ox, tmp);
        tpr_dsp_widen_row(tmp, k, p->input_offset, rows, r);
      }
    }
    const int8_t* w = filter;
    int8_t* o_ptr = out + (size_t)pix * cout;
    for (int32_t o = 0; o < cout; ++o) {
      const int32_t b = bias ? bias[o] : 0;
      int32_t acc[4] = {b, b, b, b};
      tpr_dsp_dot4(&w, rows, groups, &acc[0], &acc[1], &acc[2], &acc[3]);
      if (tail) {
        tpr_dsp_dot4_tail(w, tail, rows + 8 * groups, &acc[0], &acc[1], &acc[2], &acc[3]);
        w += tail;
      }
      tpr_dsp_requant_store(acc, cnt, q->multiplier[o], q->shift[o], p->output_offset,
                            p->act_min, p->act_max, o_ptr + o, cout);
    }
  }
}
