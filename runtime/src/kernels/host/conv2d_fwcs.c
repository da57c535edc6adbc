/* FWCS int8 conv2d, portable optimized C (DTMM structure, see ref/conv2d_fwcs.c): the index
 * (CSR, MASK or EF) is decoded once per call into per-filter counts and per-filterlet row offsets,
 * the per-filter weight sums are computed once per call, each kept filterlet's Cin weights are
 * reused across 4 im2col rows. See tpr_kernels.h. */
#include "host_util.h"

size_t tpr_conv2d_fwcs_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                       const tpr_dims* out_dims) {
  (void)in_dims; (void)out_dims;
  const size_t k = (size_t)filter_dims->h * filter_dims->w * filter_dims->c;
  /* rows | eff[cout] | count[cout] | base u16[cout*kh*kw] (offsets < K <= 32768) */
  return TPR_ALIGN16(4u * k) + 8u * (size_t)filter_dims->n +
         2u * (size_t)filter_dims->n * filter_dims->h * filter_dims->w + 16u;
}

void tpr_conv2d_fwcs_s8(const tpr_conv_params* p, const tpr_channel_quant* q,
                        const tpr_dims* in_dims, const int8_t* in, const tpr_dims* filter_dims,
                        const tpr_fwcs_weights* w, const int32_t* bias, const tpr_dims* out_dims,
                        int8_t* out, void* scratch) {
  const int32_t cin = filter_dims->c, cout = filter_dims->n;
  const int32_t k = filter_dims->h * filter_dims->w * cin;
  int8_t* rows = (int8_t*)scratch;
  int32_t* eff = (int32_t*)(void*)((uint8_t*)scratch + TPR_ALIGN16(4u * (size_t)k));
  /* decode the index once (either kind): per filter its kept count, per kept filterlet the
   * byte offset of its tap inside an im2col row */
  uint32_t* count = (uint32_t*)(eff + cout);
  uint16_t* base = (uint16_t*)(void*)(count + cout);
  {
    const int8_t* v = w->values;
    const uint32_t taps = (uint32_t)(filter_dims->h * filter_dims->w);
    uint32_t j = 0;
    tpr_fwcs_cursor cur;
    /* EF: every filter's tap set at once (into count[]) */
    const int ef_bits = tpr_fwcs_kind(w) == TPR_FWCS_EF && taps <= 32u;
    if (ef_bits) tpr_ef_filter_bits(w, (uint32_t)cout, taps, count, sizeof *count);
    else tpr_fwcs_begin(w, (uint32_t)cout, taps, &cur);
    for (int32_t o = 0; o < cout; ++o) {
      uint32_t t;
      const uint32_t j0 = j;
      if (ef_bits) {
        for (uint32_t b = count[o]; b != 0; b &= b - 1u)
          base[j++] = (uint16_t)(tpr_ctz(b) * (uint32_t)cin);
      } else {
        tpr_fwcs_filter(w, taps, (uint32_t)o, &cur);
        while (tpr_fwcs_next(w, &cur, &t)) base[j++] = (uint16_t)(t * (uint32_t)cin);
      }
      count[o] = j - j0;
      const int32_t len = (int32_t)(j - j0) * cin;
      eff[o] = (bias ? bias[o] : 0) + p->input_offset * tpr_sum_s8(v, len);
      v += len;
    }
  }
  const int32_t npix = out_dims->n * out_dims->h * out_dims->w;
  for (int32_t pix = 0; pix < npix; pix += 4) {
    const int32_t cnt = npix - pix < 4 ? npix - pix : 4;
    tpr_im2col_rows(p, in_dims, in, filter_dims, out_dims, pix, cnt, rows);
    const int8_t* r1 = rows + (cnt > 1 ? k : 0);
    const int8_t* r2 = rows + (cnt > 2 ? 2 * k : 0);
    const int8_t* r3 = rows + (cnt > 3 ? 3 * k : 0);
    const int8_t* v = w->values;
    const uint16_t* b = base;
    int8_t* o_ptr = out + (size_t)pix * cout;
    for (int32_t o = 0; o < cout; ++o) {
      int32_t acc[4] = {0, 0, 0, 0};
      for (uint32_t n = count[o]; n != 0; --n, v += cin) {
        const uint32_t bo = *b++;
        tpr_dot4_s8(v, rows + bo, r1 + bo, r2 + bo, r3 + bo, cin, acc);
      }
      for (int32_t r = 0; r < cnt; ++r)
        o_ptr[(size_t)r * cout + o] = tpr_requant_out(acc[r] + eff[o], q->multiplier[o],
                                                      q->shift[o], p->output_offset, p->act_min,
                                                      p->act_max);
    }
  }
}
