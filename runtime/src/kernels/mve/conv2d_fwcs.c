/* FWCS (filterlet-sparse) int8 conv2d for Arm Helium (MVE), following DTMM's design:
 * - once per call: per-filter weight sums (input offset folded into an effective bias), kept
 *   filterlet counts and row offsets decoded from the index (CSR row_ptr/pos of any width, the
 *   MASK bitmap, or the EF stream in one sequential pass) into scratch;
 * - per group of 4 output pixels: im2col rows, interleaved per 16-byte chunk when Cin % 16 == 0
 *   so a single pointer + immediate offsets reaches all 4 rows;
 * - per filter only its kept filterlets are visited; each 16-byte weight chunk is loaded once and
 *   multiplied into the 4 rows (VMLADAVA), loads interleaved with MACs; pruned filterlets cost
 *   nothing; a filter with no kept filterlet outputs requant(bias);
 * - the loop over a filterlet's chunks is hand-scheduled (inline asm); Cin = 16 and 32 have a
 *   fully specialised group loop;
 * - any other Cin: consecutive kept taps of a filter are merged into runs (one dot product each,
 *   a fully kept filter costs what the dense kernel does); rows that are not interleaved (Cin %
 *   16 != 0) use a tail-predicated loop (DLSTP/LETP) over the run's bytes;
 * - the index is decoded per filter into a tap bit set (kernels up to 25 taps), walked with
 *   count-trailing-zeros per set bit or per run.
 * Nothing is read past the values array. See tpr_kernels.h. */
#include "mve_util.h"

/* scratch: rows (4*K + 16) | tpr_mve_chan[cout] | runs {u16, u16}[<= cout*kh*kw] (any Cin) or
 * row pointers int8_t*[cout*kh*kw] (interleaved, Cin = 16 or 32) */
size_t tpr_conv2d_fwcs_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                       const tpr_dims* out_dims) {
  (void)in_dims; (void)out_dims;
  const size_t cout = (size_t)filter_dims->n, taps = (size_t)filter_dims->h * filter_dims->w;
  const size_t k = taps * filter_dims->c;
  return TPR_ALIGN16(4u * k) + 16u + sizeof(tpr_mve_chan) * cout + sizeof(void*) * cout * taps + 16u;
}

/* One filter with n + 1 (>= 1) kept filterlets of CH (1 or 2) chunks against a full group of 4
 * interleaved rows: the first chunk uses VMLADAV (accumulators start at 0, no per-filter register
 * initialisation), the rest VMLADAVA; *off walks the filterlets' row pointers. Per filterlet
 * 2 + 9*CH instructions. */
TPR_INLINE void fwcs_filter(const int8_t** v, const int8_t* const** off, uint32_t n, const int CH,
                            int32_t* a0, int32_t* a1, int32_t* a2, int32_t* a3) {
  const int8_t* wp = *v;
  const int8_t* const* op = *off;
  int32_t s0, s1, s2, s3;
  const int8_t* r;
#define TPR_MVE_ASM_FIRST                   \
  "ldr         %[r], [%[o]], #4\n\t"          \
  "vldrb.8     q0, [%[w]], #16\n\t"          \
  "vldrb.8     q1, [%[r], #16]\n\t"          \
  "vldrb.8     q2, [%[r], #32]\n\t"          \
  "vmladav.s8  %[a1], q0, q1\n\t"            \
  "vldrb.8     q3, [%[r], #48]\n\t"          \
  "vmladav.s8  %[a2], q0, q2\n\t"            \
  "vldrb.8     q4, [%[r]], #64\n\t"          \
  "vmladav.s8  %[a3], q0, q3\n\t"            \
  "vmladav.s8  %[a0], q0, q4\n\t"
  if (CH == 1) {
    __asm__ volatile(
        TPR_MVE_ASM_FIRST
        "wls lr, %[n], 2f\n"
        "1:\n\t"
        "ldr %[r], [%[o]], #4\n\t" TPR_MVE_ASM_CHUNK
        "le lr, 1b\n"
        "2:\n"
        : [w] "+r"(wp), [o] "+r"(op), [r] "=&r"(r), [a0] "=&Te"(s0), [a1] "=&Te"(s1),
          [a2] "=&Te"(s2), [a3] "=&Te"(s3)
        : [n] "r"(n)
        : "q0", "q1", "q2", "q3", "q4", "lr", "memory");
  } else {
    __asm__ volatile(
        TPR_MVE_ASM_FIRST TPR_MVE_ASM_CHUNK
        "wls lr, %[n], 2f\n"
        "1:\n\t"
        "ldr %[r], [%[o]], #4\n\t" TPR_MVE_ASM_CHUNK TPR_MVE_ASM_CHUNK
        "le lr, 1b\n"
        "2:\n"
        : [w] "+r"(wp), [o] "+r"(op), [r] "=&r"(r), [a0] "=&Te"(s0), [a1] "=&Te"(s1),
          [a2] "=&Te"(s2), [a3] "=&Te"(s3)
        : [n] "r"(n)
        : "q0", "q1", "q2", "q3", "q4", "lr", "memory");
  }
#undef TPR_MVE_ASM_FIRST
  *v = wp;
  *off = op;
  *a0 = s0; *a1 = s1; *a2 = s2; *a3 = s3;
}

/* all filters for one full group of 4 interleaved rows; CH = chunks per filterlet (1 or 2);
 * NEG: every channel's shift is in [-31, -1] (no left shift, always a rounding right shift) */
TPR_INLINE void group4_il(const int8_t* values, const int8_t* const* off, int8_t* out,
                          const tpr_mve_chan* ch, const tpr_mve_chan* ch_end, int32_t out_off,
                          int32x4_t vlo, int32x4_t vhi, uint32x4_t offs, const int CH,
                          const int NEG) {
  const int8_t* v = values;
  for (; ch < ch_end; ++ch, ++out) {
    int32x4_t acc;
    const int32_t n1 = (int32_t)ch->count - 1; /* count <= KH*KW <= 32768 */
    if (__builtin_expect(n1 >= 0, 1)) {
      int32_t a0, a1, a2, a3;
      fwcs_filter(&v, &off, (uint32_t)n1, CH, &a0, &a1, &a2, &a3);
      acc = vaddq_n_s32(tpr_mve_vec4(a0, a1, a2, a3), ch->eff);
    } else {
      acc = vdupq_n_s32(ch->eff);
    }
    if (NEG) {
      acc = vqrdmulhq_n_s32(acc, ch->mult);
      acc = vqaddq_s32(acc, vshrq_n_s32(acc, 31)); /* x - 1 for negative x: half away from 0 */
      acc = vrshlq_n_s32(acc, ch->shift);          /* rounding (half up) right shift */
      acc = vminq_s32(vmaxq_s32(vqaddq_n_s32(acc, out_off), vlo), vhi);
    } else {
      acc = tpr_mve_requant_chan(acc, ch, out_off, vlo, vhi);
    }
    vstrbq_scatter_offset_s32(out, offs, acc);
  }
}
#define TPR_GROUP4_FN(name, CH, NEG)                                                              \
  __attribute__((noinline)) static void name(const int8_t* values, const int8_t* const* off,      \
                                             int8_t* out, const tpr_mve_chan* ch,                 \
                                             const tpr_mve_chan* ch_end, int32_t out_off,         \
                                             int32x4_t vlo, int32x4_t vhi, uint32x4_t offs) {     \
    group4_il(values, off, out, ch, ch_end, out_off, vlo, vhi, offs, CH, NEG);                   \
  }
TPR_GROUP4_FN(group4_il_ch1, 1, 0)
TPR_GROUP4_FN(group4_il_ch2, 2, 0)
TPR_GROUP4_FN(group4_il_ch1_neg, 1, 1)
TPR_GROUP4_FN(group4_il_ch2_neg, 2, 1)
#undef TPR_GROUP4_FN

/* A run of consecutive kept taps of one filter: their weights are consecutive in values and their
 * im2col bytes consecutive in a row (contiguous rows: bytes; interleaved rows: 16-byte chunks), so
 * a run is one dot product (a fully kept filter is one run, as in the dense kernel). */
typedef struct {
  uint16_t off; /* row offset: bytes (contiguous rows) or 16-byte units (interleaved) */
  uint16_t len; /* bytes (contiguous rows, <= K <= 32768) or chunks (interleaved) */
} fwcs_run;

/* kept taps of filter o as a bit set (bit t = tap t), taps <= 25; kind = CSR or MASK (EF:
 * tpr_ef_filter_bits, all filters at once) */
TPR_INLINE uint32_t filter_bits(const tpr_fwcs_weights* w, int kind, uint32_t taps, uint32_t o) {
  if (kind == TPR_FWCS_MASK) return tpr_mask_filter_bits(w->pos, o * taps, taps);
  uint32_t bits = 0;
  const uint32_t end = tpr_idx_at(w->row_ptr, w->row_ptr_bytes, o + 1u);
  for (uint32_t j = tpr_idx_at(w->row_ptr, w->row_ptr_bytes, o); j < end; ++j)
    bits |= 1u << tpr_pos_at(w->pos, w->pos_bits, j);
  return bits;
}

/* sum of n int8 values (tail-predicated loop, nothing read beyond w[n-1]) */
TPR_INLINE int32_t sum_tp(const int8_t* w, uint32_t n) {
  int32_t s = 0;
  if (n == 0) return 0;
  __asm__ volatile(
      "dlstp.8     lr, %[n]\n"
      "1:\n\t"
      "vldrb.8     q0, [%[w]], #16\n\t"
      "vaddva.s8   %[s], q0\n\t"
      "letp        lr, 1b\n"
      : [w] "+r"(w), [s] "+Te"(s)
      : [n] "r"(n)
      : "q0", "lr", "memory");
  return s;
}

/* acc_r += dot(w[0..n), row_r[0..n)) for 4 contiguous rows at stride k, n >= 1: tail-predicated
 * low-overhead loop (DLSTP/LETP: no access beyond w[n-1] / row_r[n-1]), 10 instructions per
 * 16 bytes x 4 rows */
TPR_INLINE void dot4_tp(const int8_t* w, const int8_t* r0, int32_t k, uint32_t n, int32_t* a0,
                        int32_t* a1, int32_t* a2, int32_t* a3) {
  const int8_t* r1 = r0 + k;
  const int8_t* r2 = r1 + k;
  const int8_t* r3 = r2 + k;
  int32_t s0 = *a0, s1 = *a1, s2 = *a2, s3 = *a3;
  __asm__ volatile(
      "dlstp.8     lr, %[n]\n"
      "1:\n\t"
      "vldrb.8     q0, [%[w]], #16\n\t"
      "vldrb.8     q1, [%[r0]], #16\n\t"
      "vldrb.8     q2, [%[r1]], #16\n\t"
      "vmladava.s8 %[a0], q0, q1\n\t"
      "vldrb.8     q3, [%[r2]], #16\n\t"
      "vmladava.s8 %[a1], q0, q2\n\t"
      "vldrb.8     q4, [%[r3]], #16\n\t"
      "vmladava.s8 %[a2], q0, q3\n\t"
      "vmladava.s8 %[a3], q0, q4\n\t"
      "letp        lr, 1b\n"
      : [w] "+r"(w), [r0] "+r"(r0), [r1] "+r"(r1), [r2] "+r"(r2), [r3] "+r"(r3), [a0] "+Te"(s0),
        [a1] "+Te"(s1), [a2] "+Te"(s2), [a3] "+Te"(s3)
      : [n] "r"(n)
      : "q0", "q1", "q2", "q3", "q4", "lr", "memory");
  *a0 = s0; *a1 = s1; *a2 = s2; *a3 = s3;
}

/* all filters for one full group of 4 interleaved rows (Cin % 16 == 0), ch->count runs each */
__attribute__((noinline)) static void group4_runs_il(const int8_t* values, const fwcs_run* run,
                                                     const int8_t* rows, int8_t* out,
                                                     const tpr_mve_chan* ch,
                                                     const tpr_mve_chan* ch_end, int32_t out_off,
                                                     int32x4_t vlo, int32x4_t vhi,
                                                     uint32x4_t offs) {
  const int8_t* v = values;
  for (; ch < ch_end; ++ch, ++out) {
    int32_t a0 = ch->eff, a1 = a0, a2 = a0, a3 = a0;
    for (uint32_t n = ch->count; n != 0; --n, ++run)
      tpr_mve_il_dense(&v, rows + ((uint32_t)run->off << 4), run->len, &a0, &a1, &a2, &a3);
    vstrbq_scatter_offset_s32(out, offs, tpr_mve_requant_chan(tpr_mve_vec4(a0, a1, a2, a3), ch, out_off, vlo, vhi));
  }
}

/* generic loop (any Cin, partial groups) over the runs of each filter (ch[o].count runs): rows
 * interleaved when Cin % 16 == 0, else contiguous */
static void fwcs_rest(const tpr_conv_params* p, const tpr_dims* in_dims, const int8_t* in,
                      const tpr_dims* f, const int8_t* values, const tpr_dims* out_dims,
                      int8_t* out, int8_t* rows, const tpr_mve_chan* ch, const fwcs_run* run,
                      int32_t pix, int32_t cnt) {
  const int32_t cin = f->c, cout = f->n, k = f->h * f->w * cin;
  const int32_t plane = out_dims->h * out_dims->w;
  const int il = (cin & 15) == 0;
  const uint32x4_t offs = tpr_mve_offsets(cout);
  const int32x4_t vlo = vdupq_n_s32(p->act_min), vhi = vdupq_n_s32(p->act_max);
  if (il) {
    tpr_mve_interleave_rows(p, in_dims, in, f, out_dims, pix, cnt, rows);
    if (cnt == 4) {
      group4_runs_il(values, run, rows, out + (size_t)pix * cout, ch, ch + cout, p->output_offset,
                     vlo, vhi, offs);
      return;
    }
  } else {
    for (int32_t r = 0; r < cnt; ++r) {
      const int32_t i = pix + r;
      tpr_mve_im2col_row(p, in_dims, in, f->h, f->w, i / plane, (i % plane) / out_dims->w,
                         i % out_dims->w, rows + (size_t)r * k);
    }
  }
  const int8_t* v = values;
  int8_t* o_ptr = out + (size_t)pix * cout;
  for (int32_t o = 0; o < cout; ++o) {
    int32_t a0 = ch[o].eff, a1 = a0, a2 = a0, a3 = a0;
    for (uint32_t n = ch[o].count; n != 0; --n, ++run) {
      if (il) {
        tpr_mve_il_dense(&v, rows + ((uint32_t)run->off << 4), run->len, &a0, &a1, &a2, &a3);
      } else {
        dot4_tp(v, rows + run->off, k, run->len, &a0, &a1, &a2, &a3);
        v += run->len;
      }
    }
    tpr_mve_store4(o_ptr + o, offs,
                   tpr_mve_requant_chan(tpr_mve_vec4(a0, a1, a2, a3), &ch[o], p->output_offset, vlo, vhi),
                   cnt);
  }
}

/* Decode once per call: effective biases; fast path (Cin 16/32): per kept filterlet its
 * interleaved row pointer, count = kept filterlets; otherwise runs of consecutive kept taps
 * (16-byte units when the rows are interleaved, bytes otherwise), count = runs. Returns 1 when
 * every channel's shift is negative. Out of line so that the decoder's state does not take
 * registers from the hot loops. */
__attribute__((noinline)) static int decode_index(const tpr_conv_params* p,
                                                  const tpr_channel_quant* q, const tpr_dims* f,
                                                  const tpr_fwcs_weights* w, const int32_t* bias,
                                                  const int8_t* rows, tpr_mve_chan* ch,
                                                  fwcs_run* run, const int8_t** rowp) {
  const int kind = tpr_fwcs_kind(w);
  const int32_t cin = f->c, cout = f->n;
  const int il = (cin & 15) == 0, fast = cin == 16 || cin == 32;
  const int8_t* v = w->values;
  const uint32_t taps = (uint32_t)(f->h * f->w);
  const uint32_t unit_off = il ? (uint32_t)cin / 4u : (uint32_t)cin;
  const uint32_t unit_len = il ? (uint32_t)cin / 16u : (uint32_t)cin;
  uint32_t j = 0, m = 0;
  int neg = 1; /* every shift < 0 */
  tpr_fwcs_cursor cur; /* taps > 25 */
  if (taps > 25u) tpr_fwcs_begin_k(w, kind, (uint32_t)cout, taps, &cur);
  else if (kind == TPR_FWCS_EF) tpr_ef_filter_bits(w, (uint32_t)cout, taps, &ch->count, sizeof *ch);
  for (int32_t o = 0; o < cout; ++o) {
    const uint32_t j0 = j;
    if (taps <= 25u) { /* the filter's kept taps as a bit set, walked per set bit or per run */
      uint32_t bits = kind == TPR_FWCS_EF ? ch[o].count : filter_bits(w, kind, taps, (uint32_t)o);
      if (fast) {
        for (; bits != 0; bits &= bits - 1u) rowp[j++] = rows + tpr_ctz(bits) * (uint32_t)cin * 4u;
      } else {
        const uint32_t m0 = m;
        while (bits != 0) {
          const uint32_t t = tpr_ctz(bits);
          const uint32_t len = tpr_ctz(~(bits >> t)); /* < 32: bits has at most 25 bits */
          run[m].off = (uint16_t)(t * unit_off);
          run[m].len = (uint16_t)(len * unit_len);
          ++m;
          j += len;
          bits &= ~(((1u << len) - 1u) << t);
        }
        ch[o].count = m - m0;
      }
    } else {
      uint32_t t, next = 0xFFFFFFFFu;
      const uint32_t m0 = m;
      tpr_fwcs_filter_k(w, kind, taps, (uint32_t)o, &cur);
      while (tpr_fwcs_next_k(w, kind, &cur, &t)) {
        if (fast) {
          rowp[j] = rows + t * (uint32_t)cin * 4u;
        } else if (t == next) {
          run[m - 1].len = (uint16_t)(run[m - 1].len + unit_len);
        } else {
          run[m].off = (uint16_t)(t * unit_off);
          run[m].len = (uint16_t)unit_len;
          ++m;
        }
        next = t + 1u;
        ++j;
      }
      ch[o].count = m - m0;
    }
    if (fast) ch[o].count = j - j0;
    ch[o].eff = (bias ? bias[o] : 0) + p->input_offset * sum_tp(v, (j - j0) * (uint32_t)cin);
    ch[o].mult = q->multiplier[o];
    ch[o].shift = q->shift[o];
    neg &= ch[o].shift < 0;
    v += (size_t)(j - j0) * cin;
  }
  return neg;
}

void tpr_conv2d_fwcs_s8(const tpr_conv_params* p, const tpr_channel_quant* q,
                        const tpr_dims* in_dims, const int8_t* in, const tpr_dims* filter_dims,
                        const tpr_fwcs_weights* w, const int32_t* bias, const tpr_dims* out_dims,
                        int8_t* out, void* scratch) {
  const int32_t cin = filter_dims->c, cout = filter_dims->n;
  const int32_t k = filter_dims->h * filter_dims->w * cin;
  int8_t* rows = (int8_t*)scratch;
  tpr_mve_chan* ch = (tpr_mve_chan*)(void*)((uint8_t*)scratch + TPR_ALIGN16(4u * (size_t)k) + 16u);
  fwcs_run* run = (fwcs_run*)(void*)(ch + cout);
  const int8_t** rowp = (const int8_t**)(void*)(ch + cout); /* same storage, fast path only */
  const int fast = cin == 16 || cin == 32;
  const int neg = decode_index(p, q, filter_dims, w, bias, rows, ch, run, rowp);
  uint32_t m;
  const uint32x4_t offs = tpr_mve_offsets(cout);
  const int32x4_t vlo = vdupq_n_s32(p->act_min), vhi = vdupq_n_s32(p->act_max);
  const int32_t npix = out_dims->n * out_dims->h * out_dims->w;
  int32_t pix = 0;
  if (fast) {
    const int32_t ow = out_dims->w, plane = out_dims->h * ow;
    const int s1k3 = p->stride_w == 1 && filter_dims->w == 3;
    int8_t* padc = rows + 4 * (size_t)k; /* the 16 bytes after the rows: one pad chunk */
    if (s1k3) vstrbq_s8(padc, vdupq_n_s8((int8_t)(-p->input_offset)));
    for (; pix + 4 <= npix; pix += 4) {
      const int32_t ox = pix % ow;
      if (s1k3 && ox + 4 <= ow) {
        if (cin == 16)
          tpr_mve_interleave_rows_s1k3(p, in_dims, in, filter_dims->h, pix / plane,
                                       (pix % plane) / ow, ox, padc, rows, 1);
        else
          tpr_mve_interleave_rows_s1k3(p, in_dims, in, filter_dims->h, pix / plane,
                                       (pix % plane) / ow, ox, padc, rows, 2);
      } else
        tpr_mve_interleave_rows(p, in_dims, in, filter_dims, out_dims, pix, 4, rows);
      (cin == 16 ? (neg ? group4_il_ch1_neg : group4_il_ch1)
                 : (neg ? group4_il_ch2_neg : group4_il_ch2))(
          w->values, rowp, out + (size_t)pix * cout, ch, ch + cout, p->output_offset, vlo, vhi,
          offs);
    }
    if (pix < npix) { /* partial last group: the generic loop wants runs (16-byte units); in
                       * place, run m never lies after filterlet i */
      const uint32_t ch_len = (uint32_t)cin >> 4;
      uint32_t i = 0;
      m = 0;
      for (int32_t o = 0; o < cout; ++o) {
        const uint32_t end = i + ch[o].count, m0 = m;
        uint32_t next = 0xFFFFFFFFu;
        for (; i < end; ++i) {
          const uint32_t u = (uint32_t)(rowp[i] - rows) >> 4;
          if (u == next) {
            run[m - 1].len = (uint16_t)(run[m - 1].len + ch_len);
          } else {
            run[m].off = (uint16_t)u;
            run[m].len = (uint16_t)ch_len;
            ++m;
          }
          next = u + 4u * ch_len;
        }
        ch[o].count = m - m0;
      }
    }
  }
  for (; pix < npix; pix += 4)
    fwcs_rest(p, in_dims, in, filter_dims, w->values, out_dims, out, rows, ch, run, pix,
              npix - pix < 4 ? npix - pix : 4);
}
