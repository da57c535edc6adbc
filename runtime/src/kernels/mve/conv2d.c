/* Dense int8 conv2d for Arm Helium (MVE): im2col rows of 4 output pixels (interleaved per
 * 16-byte chunk when Cin % 16 == 0), each weight chunk loaded once and multiplied into the 4
 * rows (VMLADAVA, hand-scheduled loop), input offset folded into an effective bias computed once
 * per call, vector requantization of the 4 outputs and a scatter store. See tpr_kernels.h. */
#include "mve_util.h"

/* scratch: rows (4*K + 16) | tpr_mve_chan[cout] */
size_t tpr_conv2d_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                  const tpr_dims* out_dims) {
  (void)in_dims; (void)out_dims;
  const size_t k = (size_t)filter_dims->h * filter_dims->w * filter_dims->c;
  return TPR_ALIGN16(4u * k) + 16u + sizeof(tpr_mve_chan) * (size_t)filter_dims->n + 16u;
}

/* all filters for one full group of 4 interleaved rows */
__attribute__((noinline)) static void group4_il(const int8_t* filter, uint32_t chunks, const int8_t* rows, int8_t* out,
                      const tpr_mve_chan* ch, const tpr_mve_chan* ch_end, int32_t out_off,
                      int32x4_t vlo, int32x4_t vhi, uint32x4_t offs) {
  const int8_t* w = filter;
  for (; ch < ch_end; ++ch, ++out) {
    int32_t a0 = ch->eff, a1 = a0, a2 = a0, a3 = a0; /* start from the effective bias */
    tpr_mve_il_dense(&w, rows, chunks, &a0, &a1, &a2, &a3);
    vstrbq_scatter_offset_s32(out, offs, tpr_mve_requant_chan(tpr_mve_vec4(a0, a1, a2, a3), ch, out_off, vlo, vhi));
  }
}

void tpr_conv2d_s8(const tpr_conv_params* p, const tpr_channel_quant* q, const tpr_dims* in_dims,
                   const int8_t* in, const tpr_dims* filter_dims, const int8_t* filter,
                   const int32_t* bias, const tpr_dims* out_dims, int8_t* out, void* scratch) {
  const int32_t cin = filter_dims->c, cout = filter_dims->n;
  const int32_t k = filter_dims->h * filter_dims->w * cin;
  int8_t* rows = (int8_t*)scratch;
  tpr_mve_chan* ch = (tpr_mve_chan*)(void*)((uint8_t*)scratch + TPR_ALIGN16(4u * (size_t)k) + 16u);
  for (int32_t o = 0; o < cout; ++o) {
    ch[o].eff = (bias ? bias[o] : 0) + p->input_offset * tpr_mve_sum(filter + (size_t)o * k, k);
    ch[o].mult = q->multiplier[o];
    ch[o].shift = q->shift[o];
    ch[o].count = 0;
  }
  const uint32x4_t offs = tpr_mve_offsets(cout);
  const int32x4_t vlo = vdupq_n_s32(p->act_min), vhi = vdupq_n_s32(p->act_max);
  const int32_t plane = out_dims->h * out_dims->w, npix = out_dims->n * plane;
  const int il = (cin & 15) == 0;
  for (int32_t pix = 0; pix < npix; pix += 4) {
    const int32_t cnt = npix - pix < 4 ? npix - pix : 4;
    int8_t* o_ptr = out + (size_t)pix * cout;
    if (il) {
      tpr_mve_interleave_rows(p, in_dims, in, filter_dims, out_dims, pix, cnt, rows);
      if (cnt == 4) {
        group4_il(filter, (uint32_t)(k >> 4), rows, o_ptr, ch, ch + cout, p->output_offset, vlo,
                  vhi, offs);
        continue;
      }
    } else {
      for (int32_t r = 0; r < cnt; ++r) {
        const int32_t i = pix + r;
        tpr_mve_im2col_row(p, in_dims, in, filter_dims->h, filter_dims->w, i / plane,
                           (i % plane) / out_dims->w, i % out_dims->w, rows + (size_t)r * k);
      }
    }
    const int8_t* w = filter;
    for (int32_t o = 0; o < cout; ++o) {
      int32_t a0 = ch[o].eff, a1 = a0, a2 = a0, a3 = a0;
      if (il) {
        tpr_mve_il_dense(&w, rows, (uint32_t)(k >> 4), &a0, &a1, &a2, &a3);
      } else {
        tpr_mve_dot4(w, rows, k, k, &a0, &a1, &a2, &a3);
        w += k;
      }
      tpr_mve_store4(o_ptr + o, offs,
                     tpr_mve_requant_chan(tpr_mve_vec4(a0, a1, a2, a3), &ch[o], p->output_offset, vlo, vhi),
                     cnt);
    }
  }
}
