/* FWCS (filterlet-sparse) int8 conv2d for Armv7E-M DSP (Cortex-M4/M7), DTMM's loop structure with
 * SMLAD (see algorithms.md 1.8: "for MCUs without MVE the same loop order works with SMLAD after
 * sign-extending 4 bytes with SXTB16"):
 * - per group of 4 output pixels the im2col rows are widened to int16 with the input offset added
 *   and interleaved per 4 elements (dsp_util.h);
 * - per filter only the kept filterlets are visited; 4 weights are sign-extended once and used
 *   for the 4 pixels; pruned filterlets cost nothing; a filter without kept filterlet outputs
 *   requant(bias);
 * - filterlet row pointers are decoded once per call (Cin % 4 == 0); other Cin use a scalar path.
 * See tpr_kernels.h. */
#include "dsp_util.h"

/* scratch: int8 im2col row (K + 16) | interleaved int16 rows | row pointers[cout*kh*kw] */
size_t tpr_conv2d_fwcs_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                       const tpr_dims* out_dims) {
  (void)in_dims; (void)out_dims;
  const size_t taps = (size_t)filter_dims->h * filter_dims->w;
  const size_t k = taps * filter_dims->c;
  return TPR_ALIGN16(4u * k + 16u) + tpr_dsp_rows_bytes(k) + sizeof(void*) * taps * filter_dims->n + 16u;
}

void tpr_conv2d_fwcs_s8(const tpr_conv_params* p, const tpr_channel_quant* q,
                        const tpr_dims* in_dims, const int8_t* in, const tpr_dims* filter_dims,
                        const tpr_fwcs_weights* w, const int32_t* bias, const tpr_dims* out_dims,
                        int8_t* out, void* scratch) {
  const int32_t cin = filter_dims->c, cout = filter_dims->n;
  const int32_t k = filter_dims->h * filter_dims->w * cin;
  int8_t* tmp = (int8_t*)scratch; /* 4 int8 rows (the scalar path uses all 4) */
  int32_t* rows = (int32_t*)(void*)((uint8_t*)scratch + TPR_ALIGN16(4u * (size_t)k + 16u));
  const int32_t** rowp = (const int32_t**)(void*)((uint8_t*)rows + tpr_dsp_rows_bytes((size_t)k));
  const int fast = (cin & 3) == 0;
  const uint32_t nkept = tpr_idx_at(w->row_ptr, w->row_ptr_bytes, (uint32_t)cout);
  if (fast)
    for (uint32_t j = 0; j < nkept; ++j)
      rowp[j] = rows + 2u * tpr_pos_at(w->pos, w->pos_bits, j) * (uint32_t)cin;
  const int32_t plane = out_dims->h * out_dims->w, npix = out_dims->n * plane;
  for (int32_t pix = 0; pix < npix; pix += 4) {
    const int32_t cnt = npix - pix < 4 ? npix - pix : 4;
    for (int32_t r = 0; r < cnt; ++r) {
      const int32_t i = pix + r;
      const int32_t n = i / plane, oy = (i % plane) / out_dims->w, ox = i % out_dims->w;
      if (fast)
        tpr_dsp_im2col_widen(p, in_dims, in, filter_dims, n, oy, ox, rows, r);
      else
        tpr_im2col_row_s8(p, in_dims, in, filter_dims->h, filter_dims->w, n, oy, ox,
                          tmp + (size_t)r * k);
    }
    const int8_t* v = w->values;
    uint32_t j = 0;
    int8_t* o_ptr = out + (size_t)pix * cout;
    for (int32_t o = 0; o < cout; ++o) {
      const uint32_t end = tpr_idx_at(w->row_ptr, w->row_ptr_bytes, (uint32_t)o + 1u);
      const int32_t b = bias ? bias[o] : 0;
      int32_t acc[4] = {b, b, b, b};
      if (fast) {
        for (; j < end; ++j)
          tpr_dsp_dot4(&v, rowp[j], cin >> 2, &acc[0], &acc[1], &acc[2], &acc[3]);
      } else {
        for (; j < end; ++j, v += cin) {
          const int32_t base = (int32_t)tpr_pos_at(w->pos, w->pos_bits, j) * cin;
          for (int32_t c = 0; c < cin; ++c)
            for (int32_t r = 0; r < 4; ++r)
              acc[r] += v[c] * (tmp[(size_t)r * k + base + c] + p->input_offset);
        }
      }
      tpr_dsp_requant_store(acc, cnt, q->multiplier[o], q->shift[o], p->output_offset,
                            p->act_min, p->act_max, o_ptr + o, cout);
    }
  }
}
