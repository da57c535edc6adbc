/* Instruction-count benchmark of conv3x3 (pad 1, stride 1) on emulated Cortex-M:
 * dense kernel vs FWCS kernel (filterlet sparsity s) vs element-wise CSR kernel (weight
 * sparsity s), for 16x16x32->32 and 32x32x16->32, s = 0/25/50/75/90 %. Each kernel call is
 * bracketed by icount_mark(); run.sh turns the marks into a table. The outputs of the three
 * kernels are checked against each other (FWCS == dense on the filterlet-masked weights; CSR ==
 * dense on the element-masked weights); the exit status is non-zero on a mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csr_conv.h"
#include "icount.h"
#include "tpr_builder.h"
#include "tpr_kernels.h"

static uint32_t rng = 2024;
static uint32_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

#if defined(__ARM_FEATURE_MVE)
#define CORE "m55_mve"
#elif defined(__ARM_FEATURE_DSP)
#define CORE "dsp"
#else
#define CORE "plain"
#endif

static uint32_t next_mark = 2;

static int run_layer(int h, int w, int cin, int cout, int sparsity) {
  const int k = 3, taps = 9, kk = taps * cin;
  tpr_dims di = {1, h, w, cin}, df = {cout, k, k, cin}, dout = {1, h, w, cout};
  tpr_conv_params p = {5, -3, 1, 1, 1, 1, -128, 127};
  int8_t* in = malloc((size_t)h * w * cin);
  int8_t* wt = malloc((size_t)cout * kk);
  int8_t* we = malloc((size_t)cout * kk);
  int32_t* bias = malloc(4u * cout);
  int32_t* mult = malloc(4u * cout);
  int8_t* shift = malloc((size_t)cout);
  for (int i = 0; i < h * w * cin; ++i) in[i] = (int8_t)rnd();
  for (int i = 0; i < cout * kk; ++i) wt[i] = (int8_t)((int8_t)rnd() | 1); /* nonzero weights */
  memcpy(we, wt, (size_t)cout * kk);
  for (int o = 0; o < cout; ++o) {
    bias[o] = (int32_t)(rnd() % 20001) - 10000;
    mult[o] = 0x40000000 + (int32_t)(rnd() & 0x3FFFFFFF);
    shift[o] = -9;
  }
  tpr_channel_quant q = {mult, shift};
  /* filterlet mask: exactly round(s% of taps) pruned per filter (evenly spread) */
  const int pruned = (taps * sparsity + 50) / 100;
  uint8_t* keep = malloc((size_t)cout * taps);
  for (int o = 0; o < cout; ++o) {
    for (int t = 0; t < taps; ++t) keep[o * taps + t] = 1;
    for (int d = 0; d < pruned;) {
      const int t = (int)(rnd() % taps);
      if (keep[o * taps + t]) { keep[o * taps + t] = 0; ++d; }
    }
    for (int t = 0; t < taps; ++t)
      if (!keep[o * taps + t]) memset(wt + ((size_t)o * taps + t) * cin, 0, (size_t)cin);
  }
  int nk = 0;
  for (int f = 0; f < cout * taps; ++f) nk += keep[f];
  int8_t* values = malloc((size_t)nk * cin + 16);
  /* index kind and widths exactly as the blob builder picks them (tpr_builder_weight_stats):
   * MASK (filterlet bitmap), EF (Elias-Fano stream, format 1.2) or CSR (u8/u16 row_ptr + 4-bit
   * positions), whichever is smallest */
  tpr_weight_stats st;
  if (tpr_builder_weight_stats(TPR_LAYOUT_OHWI, cout, k, k, cin, (uint32_t)nk, TPR_STORAGE_FWCS, &st) != TPR_OK)
    return 1;
  const int mask = st.row_ptr_bytes == 0 && st.pos_bits == TPR_FMT_FWCS_MASK_POS_BITS;
  const int ef = st.row_ptr_bytes == 0 && st.pos_bits == TPR_FMT_FWCS_EF_POS_BITS;
  const int rpb = st.row_ptr_bytes ? st.row_ptr_bytes : 1;
  const uint32_t u = (uint32_t)(cout * taps), l = ef ? tpr_fmt_ef_low_bits(u, (uint32_t)nk) : 0u;
  uint8_t* rp = malloc((size_t)rpb * (cout + 1));
  uint8_t* pos = calloc((size_t)st.index_bytes + 1, 1);
  int j = 0;
  for (int o = 0; o <= cout; ++o) {
    if (rpb == 1) rp[o] = (uint8_t)j;
    else ((uint16_t*)(void*)rp)[o] = (uint16_t)j;
    for (int t = 0; o < cout && t < taps; ++t)
      if (keep[o * taps + t]) {
        const uint32_t f = (uint32_t)(o * taps + t);
        memcpy(values + (size_t)j * cin, wt + (size_t)f * cin, (size_t)cin);
        if (mask) {
          pos[f >> 3] |= (uint8_t)(1u << (f & 7));
        } else if (ef) { /* low bits of f at bit j*l; the high part's one at bit n*l + j + (f >> l) */
          for (uint32_t i = 0; i < l; ++i)
            if ((f >> i) & 1u) pos[(j * l + i) >> 3] |= (uint8_t)(1u << ((j * l + i) & 7));
          const uint32_t b = (uint32_t)nk * l + (uint32_t)j + (f >> l);
          pos[b >> 3] |= (uint8_t)(1u << (b & 7));
        } else {
          pos[j >> 1] |= (uint8_t)(t << ((j & 1) * 4));
        }
        ++j;
      }
  }
  memset(values + (size_t)nk * cin, 0, 16);
  tpr_fwcs_weights fw = {values, st.row_ptr_bytes ? rp : NULL, pos, st.row_ptr_bytes, st.pos_bits,
                         (uint32_t)nk};
  /* element-wise mask at the same sparsity for CSR */
  const int epruned = (kk * sparsity + 50) / 100;
  uint8_t* ekeep = malloc((size_t)kk);
  int nnz = 0;
  uint32_t* crp = malloc(4u * (cout + 1));
  int8_t* cval = malloc((size_t)cout * kk);
  uint16_t* ccol = malloc(2u * cout * kk);
  for (int o = 0; o < cout; ++o) {
    memset(ekeep, 1, (size_t)kk);
    for (int d = 0; d < epruned;) {
      const int e = (int)(rnd() % kk);
      if (ekeep[e]) { ekeep[e] = 0; ++d; }
    }
    crp[o] = (uint32_t)nnz;
    for (int e = 0; e < kk; ++e) {
      if (!ekeep[e]) { we[(size_t)o * kk + e] = 0; continue; }
      cval[nnz] = we[(size_t)o * kk + e];
      ccol[nnz++] = (uint16_t)e;
    }
  }
  crp[cout] = (uint32_t)nnz;
  csr_weights cw = {cval, ccol, crp};

  const size_t nout = (size_t)h * w * cout;
  int8_t* o_dense = malloc(nout);
  int8_t* o_fwcs = malloc(nout);
  int8_t* o_dense_e = malloc(nout);
  int8_t* o_csr = malloc(nout);
  size_t ss = tpr_conv2d_s8_scratch_size(&di, &df, &dout);
  size_t s2 = tpr_conv2d_fwcs_s8_scratch_size(&di, &df, &dout);
  size_t s3 = csr_conv2d_s8_scratch_size(&df);
  if (s2 > ss) ss = s2;
  if (s3 > ss) ss = s3;
  void* scratch = malloc(ss + 16);

  const uint32_t m = next_mark;
  icount_mark(m);
  tpr_conv2d_s8(&p, &q, &di, in, &df, wt, bias, &dout, o_dense, scratch);
  icount_mark(m + 1);
  tpr_conv2d_fwcs_s8(&p, &q, &di, in, &df, &fw, bias, &dout, o_fwcs, scratch);
  icount_mark(m + 2);
  csr_conv2d_s8(&p, &q, &di, in, &df, &cw, bias, &dout, o_csr, scratch);
  icount_mark(m + 3);
  tpr_conv2d_s8(&p, &q, &di, in, &df, we, bias, &dout, o_dense_e, scratch); /* CSR check only */
  next_mark += 4;

  const unsigned quant = st.quant_bytes; /* bias 4 + multiplier 4 + shift 1 per channel */
  const unsigned fwcs_bytes = st.values_bytes + st.index_bytes + quant;
  const unsigned kept_bytes = (unsigned)nk * cin + quant;
  const unsigned csr_bytes = (unsigned)nnz * 3u + 4u * (cout + 1) + quant;
  const unsigned dense_bytes = (unsigned)cout * kk + quant;
  printf("R %s %dx%dx%d->%d %d %u %u %u %u %u %u %s\n", CORE, h, w, cin, cout, sparsity, (unsigned)m,
         fwcs_bytes, kept_bytes, csr_bytes, dense_bytes, (unsigned)nk, mask ? "mask" : ef ? "ef" : "csr");
  int bad = memcmp(o_dense, o_fwcs, nout) != 0 || memcmp(o_dense_e, o_csr, nout) != 0;
  if (bad) printf("MISMATCH %dx%dx%d s=%d\n", h, w, cin, sparsity);
  free(in); free(wt); free(we); free(bias); free(mult); free(shift); free(keep); free(values);
  free(rp); free(pos); free(ekeep); free(crp); free(cval); free(ccol); free(o_dense); free(o_fwcs);
  free(o_dense_e); free(o_csr); free(scratch);
  return bad;
}

int main(int argc, char** argv) {
  (void)argc; (void)argv;
  icount_mark(0); /* calibration: cost of one mark */
  icount_mark(1);
  static const int sp[] = {0, 25, 50, 75, 90};
  int bad = 0;
  for (int i = 0; i < 5; ++i) bad |= run_layer(16, 16, 32, 32, sp[i]);
  for (int i = 0; i < 5; ++i) bad |= run_layer(32, 32, 16, 32, sp[i]);
  return bad;
}
