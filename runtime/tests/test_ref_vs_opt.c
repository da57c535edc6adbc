/* The linked optimized kernels against the reference kernels (compiled a second time with
 * renamed symbols, see ref_rename.h), on random and on benchmark-sized shapes. */
#include <stdlib.h>
#include <string.h>

#include "bruteforce.h"
#include "test_util.h"
#include "tpr_kernels.h"

#define REF(x) tpr_ref_##x
void REF(conv2d_s8)(const tpr_conv_params*, const tpr_channel_quant*, const tpr_dims*, const int8_t*,
                    const tpr_dims*, const int8_t*, const int32_t*, const tpr_dims*, int8_t*, void*);
size_t REF(conv2d_s8_scratch_size)(const tpr_dims*, const tpr_dims*, const tpr_dims*);
void REF(conv2d_1x1_s8)(const tpr_conv_params*, const tpr_channel_quant*, const tpr_dims*,
                        const int8_t*, const tpr_dims*, const int8_t*, const int32_t*,
                        const tpr_dims*, int8_t*, void*);
size_t REF(conv2d_1x1_s8_scratch_size)(const tpr_dims*, const tpr_dims*, const tpr_dims*);
void REF(conv2d_fwcs_s8)(const tpr_conv_params*, const tpr_channel_quant*, const tpr_dims*,
                         const int8_t*, const tpr_dims*, const tpr_fwcs_weights*, const int32_t*,
                         const tpr_dims*, int8_t*, void*);
size_t REF(conv2d_fwcs_s8_scratch_size)(const tpr_dims*, const tpr_dims*, const tpr_dims*);
void REF(depthwise_conv2d_s8)(const tpr_conv_params*, const tpr_channel_quant*, const tpr_dims*,
                              const int8_t*, const tpr_dims*, const int8_t*, const int32_t*,
                              const tpr_dims*, int8_t*, void*);
size_t REF(depthwise_conv2d_s8_scratch_size)(const tpr_dims*, const tpr_dims*, const tpr_dims*);
void REF(fully_connected_s8)(const tpr_fc_params*, const tpr_channel_quant*, int32_t, int32_t,
                             const int8_t*, int32_t, const int8_t*, const int32_t*, int8_t*, void*);
size_t REF(fully_connected_s8_scratch_size)(int32_t, int32_t);

static uint32_t seed = 4242;
#define R(lo, hi) bf_range(&seed, (lo), (hi))
static void* rnd(size_t n) {
  int8_t* p = malloc(n ? n : 1);
  for (size_t i = 0; i < n; ++i) p[i] = (int8_t)R(-128, 127);
  return p;
}
static void* scratch_of(size_t a, size_t b) { return malloc((a > b ? a : b) + 16); }

static int quant_mode = 0; /* 0: shifts -12..-6; 1: any shift incl. 0 and left shifts, any clamp */

static void conv_case(int n, int h, int w, int cin, int cout, int k, int s, int pad, int keep_pct) {
  const int oh = (h + 2 * pad - k) / s + 1, ow = (w + 2 * pad - k) / s + 1;
  tpr_dims di = {n, h, w, cin}, df = {cout, k, k, cin}, dout = {n, oh, ow, cout};
  tpr_conv_params p = {R(-127, 128), R(-128, 127), s, s, pad, pad, R(-128, -100), R(100, 127)};
  if (quant_mode) { /* ReLU-like lower bounds, act_max below 127, full range */
    p.act_min = R(-128, 20);
    p.act_max = R(0, 1) ? 127 : R(p.act_min, 127);
  }
  int8_t* in = rnd((size_t)n * h * w * cin);
  int8_t* wt = rnd((size_t)cout * k * k * cin);
  int32_t* bias = malloc(4u * cout);
  int32_t* mult = malloc(4u * cout);
  int8_t* shift = malloc((size_t)cout);
  for (int o = 0; o < cout; ++o) {
    bias[o] = R(-50000, 50000);
    mult[o] = (int32_t)(0x40000000u + (bf_rand(&seed) & 0x3FFFFFFFu));
    shift[o] = (int8_t)(quant_mode ? (R(0, 3) ? R(-12, -1) : R(-2, 3)) : R(-12, -6));
  }
  tpr_channel_quant q = {mult, shift};
  const size_t no = (size_t)n * oh * ow * cout;
  int8_t* a = malloc(no);
  int8_t* b = malloc(no);
  /* keep mask -> zeroed dense + FWCS */
  const int taps = k * k;
  uint8_t* keep = malloc((size_t)cout * taps);
  int nk = 0;
  for (int f = 0; f < cout * taps; ++f) { keep[f] = R(0, 99) < keep_pct; nk += keep[f]; }
  for (int f = 0; f < cout * taps; ++f)
    if (!keep[f]) memset(wt + (size_t)f * cin, 0, (size_t)cin);
  int8_t* vals = malloc((size_t)nk * cin + 16);
  uint16_t* rp = malloc(2u * (cout + 1));
  uint8_t* pos = malloc((size_t)nk + 1);
  int j = 0;
  for (int o = 0; o < cout; ++o) {
    rp[o] = (uint16_t)j;
    for (int t = 0; t < taps; ++t)
      if (keep[o * taps + t]) { memcpy(vals + (size_t)j * cin, wt + ((size_t)o * taps + t) * cin, (size_t)cin); pos[j++] = (uint8_t)t; }
  }
  rp[cout] = (uint16_t)j;
  memset(vals + (size_t)j * cin, 0, 16);
  tpr_fwcs_weights fw = {vals, rp, pos, 2, 8, (uint32_t)nk};
  uint8_t* mask = calloc((size_t)(cout * taps + 7) / 8 + 1, 1);
  for (int f = 0; f < cout * taps; ++f)
    if (keep[f]) mask[f >> 3] = (uint8_t)(mask[f >> 3] | (1u << (f & 7)));
  tpr_fwcs_weights fm = {vals, NULL, mask, 0, 1, (uint32_t)nk};
  /* EF index (format 1.2) whenever something is kept, exactly sized */
  uint8_t* ef = nk ? calloc(bf_ef_bytes((uint32_t)(cout * taps), (uint32_t)nk), 1) : NULL;
  if (ef) bf_ef_encode(keep, (uint32_t)(cout * taps), ef);
  tpr_fwcs_weights fe = {vals, NULL, ef, 0, 2, (uint32_t)nk};

  void* sc = scratch_of(tpr_conv2d_s8_scratch_size(&di, &df, &dout), REF(conv2d_s8_scratch_size)(&di, &df, &dout));
  tpr_conv2d_s8(&p, &q, &di, in, &df, wt, bias, &dout, a, sc);
  REF(conv2d_s8)(&p, &q, &di, in, &df, wt, bias, &dout, b, sc);
  TU_CHECK(memcmp(a, b, no) == 0, "conv2d %dx%dx%d->%d k%d s%d", h, w, cin, cout, k, s);
  free(sc);
  sc = scratch_of(tpr_conv2d_fwcs_s8_scratch_size(&di, &df, &dout), REF(conv2d_fwcs_s8_scratch_size)(&di, &df, &dout));
  tpr_conv2d_fwcs_s8(&p, &q, &di, in, &df, &fw, bias, &dout, a, sc);
  REF(conv2d_fwcs_s8)(&p, &q, &di, in, &df, &fw, bias, &dout, b, sc);
  TU_CHECK(memcmp(a, b, no) == 0, "fwcs %dx%dx%d->%d k%d s%d keep %d", h, w, cin, cout, k, s, keep_pct);
  tpr_conv2d_fwcs_s8(&p, &q, &di, in, &df, &fm, bias, &dout, a, sc);
  TU_CHECK(memcmp(a, b, no) == 0, "fwcs mask %dx%dx%d->%d k%d s%d pad %d keep %d", h, w, cin, cout, k,
           s, pad, keep_pct);
  if (ef) {
    tpr_conv2d_fwcs_s8(&p, &q, &di, in, &df, &fe, bias, &dout, a, sc);
    TU_CHECK(memcmp(a, b, no) == 0, "fwcs ef %dx%dx%d->%d k%d s%d pad %d keep %d", h, w, cin, cout,
             k, s, pad, keep_pct);
    /* the reference kernel on EF too (it restarts the EF decoder for every group of pixels) */
    REF(conv2d_fwcs_s8)(&p, &q, &di, in, &df, &fe, bias, &dout, a, sc);
    TU_CHECK(memcmp(a, b, no) == 0, "ref fwcs ef %dx%dx%d->%d k%d keep %d", h, w, cin, cout, k,
             keep_pct);
  }
  free(sc);
  free(mask);
  free(ef);
  if (k == 1 && pad == 0) {
    sc = scratch_of(tpr_conv2d_1x1_s8_scratch_size(&di, &df, &dout), REF(conv2d_1x1_s8_scratch_size)(&di, &df, &dout));
    tpr_conv2d_1x1_s8(&p, &q, &di, in, &df, wt, bias, &dout, a, sc);
    REF(conv2d_1x1_s8)(&p, &q, &di, in, &df, wt, bias, &dout, b, sc);
    TU_CHECK(memcmp(a, b, no) == 0, "1x1 %dx%dx%d->%d s%d", h, w, cin, cout, s);
    free(sc);
  }
  /* depthwise with multiplier cout/cin when divisible, else 1 */
  {
    const int dm = cout % cin == 0 ? cout / cin : 1, dc = cin * dm;
    tpr_dims dfd = {1, k, k, dc}, dod = {n, oh, ow, dc};
    int8_t* wd = rnd((size_t)k * k * dc);
    const size_t nd = (size_t)n * oh * ow * dc;
    int8_t* c = malloc(nd);
    int8_t* d = malloc(nd);
    int32_t* m2 = malloc(4u * dc);
    int8_t* s2 = malloc((size_t)dc);
    for (int o = 0; o < dc; ++o) { m2[o] = mult[o % cout]; s2[o] = (int8_t)R(-9, -2); }
    tpr_channel_quant q2 = {m2, s2};
    sc = scratch_of(tpr_depthwise_conv2d_s8_scratch_size(&di, &dfd, &dod), REF(depthwise_conv2d_s8_scratch_size)(&di, &dfd, &dod));
    tpr_depthwise_conv2d_s8(&p, &q2, &di, in, &dfd, wd, NULL, &dod, c, sc);
    REF(depthwise_conv2d_s8)(&p, &q2, &di, in, &dfd, wd, NULL, &dod, d, sc);
    TU_CHECK(memcmp(c, d, nd) == 0, "depthwise %dx%dx%d m%d k%d", h, w, cin, dm, k);
    free(sc); free(wd); free(c); free(d); free(m2); free(s2);
  }
  free(in); free(wt); free(bias); free(mult); free(shift); free(a); free(b); free(keep); free(vals);
  free(rp); free(pos);
}

static void fc_case(int batches, int in_f, int out_f) {
  int8_t* in = rnd((size_t)batches * in_f);
  int8_t* w = rnd((size_t)in_f * out_f);
  int32_t* bias = malloc(4u * out_f);
  int32_t* mult = malloc(4u * out_f);
  int8_t* shift = malloc((size_t)out_f);
  for (int o = 0; o < out_f; ++o) {
    bias[o] = R(-50000, 50000);
    mult[o] = (int32_t)(0x40000000u + (bf_rand(&seed) & 0x3FFFFFFFu));
    shift[o] = (int8_t)R(-12, -6);
  }
  tpr_fc_params p = {R(-127, 128), R(-128, 127), -128, 127};
  tpr_channel_quant q = {mult, shift};
  int8_t* a = malloc((size_t)batches * out_f);
  int8_t* b = malloc((size_t)batches * out_f);
  void* sc = scratch_of(tpr_fully_connected_s8_scratch_size(in_f, out_f), REF(fully_connected_s8_scratch_size)(in_f, out_f));
  tpr_fully_connected_s8(&p, &q, batches, in_f, in, out_f, w, bias, a, sc);
  REF(fully_connected_s8)(&p, &q, batches, in_f, in, out_f, w, bias, b, sc);
  TU_CHECK(memcmp(a, b, (size_t)batches * out_f) == 0, "fc %d->%d", in_f, out_f);
  free(sc); free(in); free(w); free(bias); free(mult); free(shift); free(a); free(b);
}

int main(void) {
  conv_case(1, 16, 16, 32, 32, 3, 1, 1, 50); /* benchmark shapes */
  conv_case(1, 32, 32, 16, 32, 3, 1, 1, 25);
  conv_case(1, 16, 16, 32, 64, 1, 1, 0, 100);
  /* 7x7 kernels (49 taps: the MVE FWCS decode's per-filterlet fallback beyond 25 taps) and odd
   * Cin (MVE runs of consecutive taps on contiguous rows, DSP per-tap padded groups) */
  conv_case(1, 9, 9, 31, 13, 7, 1, 3, 50);
  conv_case(1, 8, 8, 16, 9, 7, 1, 3, 90);
  conv_case(2, 8, 9, 64, 5, 7, 2, 3, 75);
  conv_case(1, 7, 7, 63, 20, 3, 1, 1, 90);
  conv_case(1, 3, 3, 27, 26, 3, 1, 1, 50);
#ifndef TPR_TEST_ITERS
#define TPR_TEST_ITERS 200
#endif
  for (int i = 0; i < TPR_TEST_ITERS; ++i) {
    static const int ks[] = {1, 3, 5};
    const int k = ks[R(0, 2)];
    conv_case(R(1, 2), R(k, 12), R(k, 12), R(1, 40), R(1, 40), k, R(1, 2), R(0, k - 1),
              R(0, 4) * 25);
    fc_case(R(1, 3), R(1, 300), R(1, 50));
  }
  /* the optimized FWCS kernels' special paths: Cin 8/16/24/32 (MVE 3x3 stride-1 row builder,
   * DSP paired groups), widths that are / are not multiples of 4, pads 0..2, strides 1/2, any
   * requantization shift and clamp, empty and full masks; each case with the CSR, MASK and (when
   * something is kept) EF index */
  quant_mode = 1;
  for (int i = 0; i < TPR_TEST_ITERS / 2 + 10; ++i) {
    static const int cins[] = {16, 32, 8, 24, 4, 12, 48};
    static const int keeps[] = {0, 10, 50, 90, 100};
    const int k = R(0, 4) ? 3 : (R(0, 1) ? 1 : 5);
    conv_case(R(1, 2), R(k, 11), R(k, 13), cins[R(0, 6)], R(1, 24), k, R(0, 3) ? 1 : 2,
              R(0, k - 1), keeps[R(0, 4)]);
  }
  quant_mode = 0;
  fc_case(1, 1024, 256);
  return tu_finish();
}
