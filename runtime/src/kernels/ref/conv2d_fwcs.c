/* Reference FWCS (filterlet-sparse) int8 conv2d, DTMM loop structure in portable C.
 * See tpr_kernels.h.
 * - im2col rows for up to 4 output pixels at a time (padding filled with the input zero point);
 * - per filter, walk only its kept filterlets (CSR, MASK or EF index, see tpr_fwcs_weights;
 *   the EF stream is decoded again for every group of pixels); each filterlet's Cin weights are
 *   used for the 4 pixels; the weight sum folds the input offset in once per output;
 * - a filter with no kept filterlet yields requant(bias). */
#include "../kernel_util.h"

size_t tpr_conv2d_fwcs_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                       const tpr_dims* out_dims) {
  (void)in_dims; (void)out_dims;
  return TPR_ALIGN16(4u * (size_t)filter_dims->h * filter_dims->w * filter_dims->c) + 16u;
}

void tpr_conv2d_fwcs_s8(const tpr_conv_params* p, const tpr_channel_quant* q,
                        const tpr_dims* in_dims, const int8_t* in, const tpr_dims* filter_dims,
                        const tpr_fwcs_weights* w, const int32_t* bias, const tpr_dims* out_dims,
                        int8_t* out, void* scratch) {
  const int32_t cin = filter_dims->c, kh = filter_dims->h, kw = filter_dims->w;
  const int32_t cout = filter_dims->n;
  const int32_t k = kh * kw * cin;
  int8_t* rows = (int8_t*)scratch;
  const int32_t npix = out_dims->n * out_dims->h * out_dims->w;
  const int32_t plane = out_dims->h * out_dims->w;
  tpr_fwcs_cursor cur;
  tpr_fwcs_begin(w, (uint32_t)cout, (uint32_t)(kh * kw), &cur);
  for (int32_t pix = 0; pix < npix; pix += 4) {
    const int32_t cnt = npix - pix < 4 ? npix - pix : 4;
    for (int32_t r = 0; r < cnt; ++r) {
      const int32_t i = pix + r;
      tpr_im2col_row_s8(p, in_dims, in, kh, kw, i / plane, (i % plane) / out_dims->w,
                        i % out_dims->w, rows + (size_t)r * k);
    }
    const int8_t* values = w->values;
    for (int32_t o = 0; o < cout; ++o) {
      int32_t acc[4] = {0, 0, 0, 0};
      int32_t wsum = 0;
      uint32_t t;
      tpr_fwcs_filter(w, (uint32_t)(kh * kw), (uint32_t)o, &cur);
      for (; tpr_fwcs_next(w, &cur, &t); values += cin) {
        const int32_t base = (int32_t)t * cin;
        for (int32_t c = 0; c < cin; ++c) {
          const int32_t wv = values[c];
          wsum += wv;
          for (int32_t r = 0; r < cnt; ++r) acc[r] += wv * rows[(size_t)r * k + base + c];
        }
      }
      const int32_t fold = wsum * p->input_offset + (bias ? bias[o] : 0);
      for (int32_t r = 0; r < cnt; ++r) {
        out[(size_t)(pix + r) * cout + o] = tpr_requant_out(
            acc[r] + fold, q->multiplier[o], q->shift[o], p->output_offset, p->act_min, p->act_max);
      }
    }
  }
}
