/* FWCS (filterlet-sparse) int8 conv2d for Armv7E-M DSP (Cortex-M4/M7), DTMM's loop structure with
 * SMLAD (see algorithms.md 1.8: "for MCUs without MVE the same loop order works with SMLAD after
 * sign-extending 4 bytes with SXTB16"):
 * - once per call the index (CSR, MASK or EF) is decoded into per-filter records {bias, multiplier,
 *   shift, kept count} and one row pointer per kept filterlet, so the hot loop neither decodes
 *   indices nor touches the bias / quantization arrays;
 * - per group of 4 output pixels the im2col rows are widened to int16 with the input offset added
 *   and interleaved per 4 elements (dsp_util.h);
 * - per filter only the kept filterlets are visited (one hand-scheduled loop over all of them,
 *   2 groups of 4 weights per iteration when Cin % 8 == 0); 4 weights are sign-extended once and
 *   used for the 4 pixels; pruned filterlets cost nothing; a filter without kept filterlet outputs
 *   requant(bias);
 * - requantization of a full group: the common shift < 0 case without the left-shift path, the
 *   clamp as SSAT (+ one compare for ReLU-style lower bounds) when act_max == 127;
 * - Cin % 4 != 0: each tap of the widened rows is padded to whole groups of 4 (zeros), each
 *   kept filterlet is its full groups (SMLAD loop) plus one partial group assembled without
 *   reading past the filterlet's weights.
 * See tpr_kernels.h. */
#include "dsp_util.h"

typedef struct {
  int32_t bias;
  int32_t mult;
  int32_t shift;
  uint32_t count; /* kept filterlets */
} tpr_dsp_chan;

/* bytes of the interleaved int16 rows: every tap padded to whole groups of 4 (= dense layout
 * when Cin % 4 == 0) */
static size_t rows_bytes(size_t taps, size_t cin) { return tpr_dsp_rows_bytes(taps * ((cin + 3u) & ~(size_t)3u)); }

/* scratch: int8 im2col rows (4*K + 16) | interleaved int16 rows | tpr_dsp_chan[cout] |
 * row pointers [cout*kh*kw] */
size_t tpr_conv2d_fwcs_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                       const tpr_dims* out_dims) {
  (void)in_dims; (void)out_dims;
  const size_t taps = (size_t)filter_dims->h * filter_dims->w;
  const size_t k = taps * filter_dims->c;
  return TPR_ALIGN16(4u * k + 16u) + rows_bytes(taps, (size_t)filter_dims->c) +
         sizeof(tpr_dsp_chan) * filter_dims->n + sizeof(void*) * taps * filter_dims->n + 16u;
}

/* All n (>= 1) kept filterlets of one filter, Cin % 8 == 0: *rp walks their interleaved row
 * pointers, *w their weights; pairs = Cin / 8. 32 instructions per 8 weights x 4 pixels. */
TPR_INLINE void fwcs_filter_x2(const int8_t** w, const int32_t* const** rp, uint32_t n,
                               const uint32_t* pairs, int32_t* a0, int32_t* a1, int32_t* a2,
                               int32_t* a3) {
  const int8_t* wp = *w;
  const int32_t* const* r = *rp;
  int32_t s0 = *a0, s1 = *a1, s2 = *a2, s3 = *a3;
  const int32_t* p;
  uint32_t k, w02, w13, x0, x1;
  __asm__ volatile(
      "1:\n\t"
      "ldr    %[p], [%[r]], #4\n\t"
      "ldr    %[k], %[pairs]\n"
      "2:\n\t"
#define TPR_DSP_GROUP                                  \
      "ldr    %[x0], [%[w]], #4\n\t"                   \
      "sxtb16 %[w02], %[x0]\n\t"                       \
      "sxtb16 %[w13], %[x0], ror #8\n\t"               \
      "ldrd   %[x0], %[x1], [%[p]], #8\n\t"            \
      "smlad  %[a0], %[w02], %[x0], %[a0]\n\t"         \
      "smlad  %[a0], %[w13], %[x1], %[a0]\n\t"         \
      "ldrd   %[x0], %[x1], [%[p]], #8\n\t"            \
      "smlad  %[a1], %[w02], %[x0], %[a1]\n\t"         \
      "smlad  %[a1], %[w13], %[x1], %[a1]\n\t"         \
      "ldrd   %[x0], %[x1], [%[p]], #8\n\t"            \
      "smlad  %[a2], %[w02], %[x0], %[a2]\n\t"         \
      "smlad  %[a2], %[w13], %[x1], %[a2]\n\t"         \
      "ldrd   %[x0], %[x1], [%[p]], #8\n\t"            \
      "smlad  %[a3], %[w02], %[x0], %[a3]\n\t"         \
      "smlad  %[a3], %[w13], %[x1], %[a3]\n\t"
      TPR_DSP_GROUP TPR_DSP_GROUP
      "subs   %[k], %[k], #1\n\t"
      "bne    2b\n\t"
      "subs   %[n], %[n], #1\n\t"
      "bne    1b\n"
      : [w] "+r"(wp), [r] "+r"(r), [n] "+r"(n), [a0] "+r"(s0), [a1] "+r"(s1), [a2] "+r"(s2),
        [a3] "+r"(s3), [p] "=&r"(p), [k] "=&r"(k), [w02] "=&r"(w02), [w13] "=&r"(w13),
        [x0] "=&r"(x0), [x1] "=&r"(x1)
      : [pairs] "m"(*pairs)
      : "cc", "memory");
#undef TPR_DSP_GROUP
  *w = wp;
  *rp = r;
  *a0 = s0; *a1 = s1; *a2 = s2; *a3 = s3;
}

/* n groups of 4 zero int16 elements (interleaved rows: 32-byte group stride) */
TPR_INLINE int32_t* zero_groups(int32_t* dst, uint32_t n) {
  for (; n != 0; --n, dst += 8) { dst[0] = 0; dst[1] = 0; }
  return dst;
}

/* widen n8 * 8 contiguous int8 (word-aligned src) into interleaved groups: 9 instructions per
 * 8 elements (LDRD, SXTAB16 with the rotation folded in, two STRD with write-back) */
TPR_INLINE int32_t* widen_run8(int32_t* dst, const int8_t* src, uint32_t n8, uint32_t off2) {
  uint32_t a, b, t0, t1, t2, t3;
  __asm__ volatile(
      "1:\n\t"
      "ldrd    %[a], %[b], [%[s]], #8\n\t"
      "sxtab16 %[t0], %[o], %[a]\n\t"
      "sxtab16 %[t1], %[o], %[a], ror #8\n\t"
      "sxtab16 %[t2], %[o], %[b]\n\t"
      "sxtab16 %[t3], %[o], %[b], ror #8\n\t"
      "strd    %[t0], %[t1], [%[d]], #32\n\t"
      "strd    %[t2], %[t3], [%[d]], #32\n\t"
      "subs    %[n], %[n], #1\n\t"
      "bne     1b\n"
      : [d] "+r"(dst), [s] "+r"(src), [n] "+r"(n8), [a] "=&r"(a), [b] "=&r"(b), [t0] "=&r"(t0),
        [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
      : [o] "r"(off2)
      : "cc", "memory");
  return dst;
}

/* im2col + widen of output pixel (n, oy, ox) into interleaved row slot r (see dsp_util.h), for
 * Cin % 8 == 0 and a word-aligned input: per kernel row at most left padding, one contiguous
 * widened run, right padding */
static void widen_row8(const tpr_conv_params* p, const tpr_dims* in_dims, const int8_t* in,
                       const tpr_dims* f, int32_t n, int32_t oy, int32_t ox, int32_t* rows,
                       int32_t r, uint32_t off2) {
  const int32_t cin = f->c, kw = f->w, in_w = in_dims->w, in_h = in_dims->h;
  const uint32_t g = (uint32_t)cin >> 2; /* groups per tap */
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
  int32_t x_lo = ix0 < 0 ? -ix0 : 0;
  int32_t x_hi = in_w - ix0 < kw ? in_w - ix0 : kw;
  if (x_hi < x_lo) x_hi = x_lo;
  const uint32_t left = (uint32_t)x_lo * g, right = (uint32_t)(kw - x_hi) * g;
  const uint32_t run8 = (uint32_t)(x_hi - x_lo) * ((uint32_t)cin >> 3);
  const size_t in_row = (size_t)in_w * cin;
  const int8_t* base = in + (size_t)n * in_h * in_row + (size_t)(ix0 + x_lo) * cin;
  int32_t* dst = rows + 2 * r;
  for (int32_t y = 0; y < f->h; ++y) {
    const int32_t iy = iy0 + y;
    if (iy < 0 || iy >= in_h) {
      dst = zero_groups(dst, (uint32_t)kw * g);
      continue;
    }
    dst = zero_groups(dst, left);
    if (run8) dst = widen_run8(dst, base + (size_t)iy * in_row, run8, off2);
    dst = zero_groups(dst, right);
  }
}

/* requant of one accumulator for shift <= 0 (right = -shift in 1..31; mask = 2^right - 1,
 * half = 2^(right-1)), before the output offset: bit-exact with tpr_requantize() */
TPR_INLINE int32_t rq_right(int32_t x, int32_t mult, int32_t right, uint32_t mask, uint32_t half) {
  const int64_t prod = (int64_t)x * mult + ((int64_t)1 << 30);
  const int32_t y = (int32_t)(((uint32_t)((uint64_t)prod >> 32) << 1) | ((uint32_t)prod >> 31));
  const uint32_t t = ((uint32_t)y & mask) + half - ((uint32_t)y >> 31);
  return (y >> right) + (int32_t)(t >> right);
}

/* clamp(v + out_off, lo, 127) with lo >= -128: QADD (saturating: same int8 result), SSAT, max */
TPR_INLINE int32_t out_hi127(int32_t v, int32_t out_off, int32_t lo) {
  v = __ssat(__qadd(v, out_off), 8);
  return v < lo ? lo : v;
}

/* requantize and store the 4 accumulators of one channel (full group) */
TPR_INLINE void store4(const int32_t a[4], const tpr_dsp_chan* c, int32_t out_off, int32_t lo,
                       int32_t hi, int hi127, int8_t* out, int32_t stride) {
  if (c->shift < 0) {
    const int32_t right = -c->shift;
    const uint32_t mask = ((uint32_t)1 << right) - 1u, half = (uint32_t)1 << (right - 1);
    const int32_t m = c->mult;
    if (hi127) {
      out[0] = (int8_t)out_hi127(rq_right(a[0], m, right, mask, half), out_off, lo);
      out[stride] = (int8_t)out_hi127(rq_right(a[1], m, right, mask, half), out_off, lo);
      out[2 * stride] = (int8_t)out_hi127(rq_right(a[2], m, right, mask, half), out_off, lo);
      out[3 * stride] = (int8_t)out_hi127(rq_right(a[3], m, right, mask, half), out_off, lo);
      return;
    }
  }
  tpr_dsp_requant_store(a, 4, c->mult, c->shift, out_off, lo, hi, out, stride);
}

/* decode the index once per call: per-filter records and one row pointer per kept filterlet
 * (stride = int32 words per tap in the widened rows). Out of line so that the decoder's state
 * does not take registers from the hot loop. */
__attribute__((noinline)) static void decode_index(const tpr_fwcs_weights* w, int32_t cout,
                                                   uint32_t taps, uint32_t stride,
                                                   const int32_t* rows, const int32_t* bias,
                                                   const tpr_channel_quant* q, tpr_dsp_chan* ch,
                                                   const int32_t** rowp) {
  const int kind = tpr_fwcs_kind(w);
  uint32_t j = 0;
  tpr_fwcs_cursor cur;
  const int ef_bits = kind == TPR_FWCS_EF && taps <= 32u; /* EF: all filters' tap sets at once */
  if (ef_bits) tpr_ef_filter_bits(w, (uint32_t)cout, taps, &ch->count, sizeof *ch);
  else tpr_fwcs_begin_k(w, kind, (uint32_t)cout, taps, &cur);
  for (int32_t o = 0; o < cout; ++o) {
    uint32_t t;
    const uint32_t j0 = j;
    if (ef_bits) {
      for (uint32_t b = ch[o].count; b != 0; b &= b - 1u) rowp[j++] = rows + stride * tpr_ctz(b);
    } else {
      tpr_fwcs_filter_k(w, kind, taps, (uint32_t)o, &cur);
      while (tpr_fwcs_next_k(w, kind, &cur, &t)) rowp[j++] = rows + stride * t;
    }
    ch[o].bias = bias ? bias[o] : 0;
    ch[o].mult = q->multiplier[o];
    ch[o].shift = q->shift[o];
    ch[o].count = j - j0;
  }
}

void tpr_conv2d_fwcs_s8(const tpr_conv_params* p, const tpr_channel_quant* q,
                        const tpr_dims* in_dims, const int8_t* in, const tpr_dims* filter_dims,
                        const tpr_fwcs_weights* w, const int32_t* bias, const tpr_dims* out_dims,
                        int8_t* out, void* scratch) {
  const int32_t cin = filter_dims->c, cout = filter_dims->n;
  const uint32_t taps = (uint32_t)(filter_dims->h * filter_dims->w);
  const int32_t k = (int32_t)taps * cin;
  int8_t* tmp = (int8_t*)scratch; /* 4 int8 rows (the scalar path uses all 4) */
  int32_t* rows = (int32_t*)(void*)((uint8_t*)scratch + TPR_ALIGN16(4u * (size_t)k + 16u));
  tpr_dsp_chan* ch = (tpr_dsp_chan*)(void*)((uint8_t*)rows + rows_bytes(taps, (size_t)cin));
  const int32_t** rowp = (const int32_t**)(void*)(ch + cout);
  const int fast = (cin & 3) == 0, pairs_ok = (cin & 7) == 0;
  const uint32_t pairs = (uint32_t)cin >> 3;
  const uint32_t g4 = ((uint32_t)cin + 3u) >> 2; /* groups per tap (padded when Cin % 4 != 0) */
  decode_index(w, cout, taps, 8u * g4, rows, bias, q, ch, rowp);
  const int32_t lo = p->act_min, hi = p->act_max, out_off = p->output_offset;
  const int hi127 = hi == 127;
  const int wide8 = pairs_ok && ((uintptr_t)in & 3u) == 0; /* LDRD needs word alignment */
  const uint32_t off2 = ((uint32_t)p->input_offset & 0xFFFFu) | ((uint32_t)p->input_offset << 16);
  const int32_t plane = out_dims->h * out_dims->w, npix = out_dims->n * plane;
  for (int32_t pix = 0; pix < npix; pix += 4) {
    const int32_t cnt = npix - pix < 4 ? npix - pix : 4;
    for (int32_t r = 0; r < cnt; ++r) {
      const int32_t i = pix + r;
      const int32_t n = i / plane, oy = (i % plane) / out_dims->w, ox = i % out_dims->w;
      if (wide8)
        widen_row8(p, in_dims, in, filter_dims, n, oy, ox, rows, r, off2);
      else if (fast)
        tpr_dsp_im2col_widen(p, in_dims, in, filter_dims, n, oy, ox, rows, r);
      else { /* int8 im2col row, then each tap widened into its padded groups */
        tpr_im2col_row_s8(p, in_dims, in, filter_dims->h, filter_dims->w, n, oy, ox, tmp);
        for (uint32_t t = 0; t < taps; ++t)
          tpr_dsp_widen_row(tmp + t * (uint32_t)cin, cin, p->input_offset, rows + 8u * g4 * t, r);
      }
    }
    const int8_t* v = w->values;
    int8_t* o_ptr = out + (size_t)pix * cout;
    const int32_t* const* rp = rowp;
    if (pairs_ok) {
      for (const tpr_dsp_chan* c = ch; c < ch + cout; ++c, ++o_ptr) {
        int32_t acc[4];
        acc[0] = acc[1] = acc[2] = acc[3] = c->bias;
        if (c->count != 0)
          fwcs_filter_x2(&v, &rp, c->count, &pairs, &acc[0], &acc[1], &acc[2], &acc[3]);
        if (cnt == 4)
          store4(acc, c, out_off, lo, hi, hi127, o_ptr, cout);
        else
          tpr_dsp_requant_store(acc, cnt, c->mult, c->shift, out_off, lo, hi, o_ptr, cout);
      }
      continue;
    }
    const int32_t full = cin >> 2, tail = cin & 3;
    for (const tpr_dsp_chan* c = ch; c < ch + cout; ++c, ++o_ptr) {
      int32_t acc[4];
      acc[0] = acc[1] = acc[2] = acc[3] = c->bias;
      if (fast) {
        for (uint32_t f = c->count; f != 0; --f)
          tpr_dsp_dot4(&v, *rp++, full, &acc[0], &acc[1], &acc[2], &acc[3]);
      } else {
        for (uint32_t f = c->count; f != 0; --f) {
          const int32_t* r0 = *rp++;
          tpr_dsp_dot4(&v, r0, full, &acc[0], &acc[1], &acc[2], &acc[3]);
          /* Cin % 4 != 0: the tap's last, zero-padded group */
          tpr_dsp_dot4_tail(v, tail, r0 + 8 * full, &acc[0], &acc[1], &acc[2], &acc[3]);
          v += tail;
        }
      }
      if (cnt == 4)
        store4(acc, c, out_off, lo, hi, hi127, o_ptr, cout);
      else
        tpr_dsp_requant_store(acc, cnt, c->mult, c->shift, out_off, lo, hi, o_ptr, cout);
    }
  }
}
