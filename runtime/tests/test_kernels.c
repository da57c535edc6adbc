/* Every kernel (whichever variant is linked) against the brute-force oracle on random shapes:
 * strides 1/2, asymmetric padding, odd and small channel counts, FWCS with all CSR index widths,
 * the MASK and the EF index, filters without kept filterlets, depth multipliers, clamps, and the
 * EF decoder on its own. Buffers are exactly sized so that
 * AddressSanitizer flags any over-read (FWCS values carry the 16-byte pad the format promises). */
#include <stdlib.h>
#include <string.h>

#include "../src/kernels/kernel_util.h" /* the EF decoder, tested directly below */
#include "bruteforce.h"
#include "test_util.h"
#include "tpr_kernels.h"
#include "tpr_requant.h"

#ifndef TPR_TEST_ITERS
#define TPR_TEST_ITERS 300
#endif

static uint32_t seed = 12345;
#define R(lo, hi) bf_range(&seed, (lo), (hi))

static void rand_s8(int8_t* p, int64_t n) { for (int64_t i = 0; i < n; ++i) p[i] = (int8_t)R(-128, 127); }

typedef struct {
  tpr_builder_tensor ti, to;
  tpr_builder_conv c;
  int8_t *in, *w;
  uint8_t* keep;
  int32_t *bias, *mult, *shift;
  int8_t* shift8;
} conv_case;

static int pick_cin(void) {
  static const int opts[] = {1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 20, 31, 32, 33, 48};
  return opts[R(0, 15)];
}

static void make_case(conv_case* k, int depthwise, int force_1x1) {
  memset(k, 0, sizeof *k);
  const int n = R(1, 2), cin = pick_cin();
  const int kh = force_1x1 ? 1 : R(1, 5), kw = force_1x1 ? 1 : (R(0, 3) ? kh : R(1, 4));
  const int sh = R(1, 2), sw = R(1, 2);
  const int pt = force_1x1 ? 0 : R(0, kh - 1), pb = force_1x1 ? 0 : R(0, kh - 1);
  const int pl = force_1x1 ? 0 : R(0, kw - 1), pr = force_1x1 ? 0 : R(0, kw - 1);
  int h = R(1, 11), w = R(1, 11);
  if (h + pt + pb < kh) h = kh;
  if (w + pl + pr < kw) w = kw;
  const int cout = depthwise ? cin * R(1, 3) : R(1, 21);
  k->ti = (tpr_builder_tensor){4, {n, h, w, cin}, 1.0f, R(-128, 127)};
  k->to = (tpr_builder_tensor){4, {n, (h + pt + pb - kh) / sh + 1, (w + pl + pr - kw) / sw + 1, cout},
                               1.0f, R(-128, 127)};
  tpr_builder_conv* c = &k->c;
  c->stride_h = sh; c->stride_w = sw;
  c->pad_top = pt; c->pad_bottom = pb; c->pad_left = pl; c->pad_right = pr;
  c->act_min = R(0, 3) ? -128 : R(-128, 0);
  c->act_max = R(0, 3) ? 127 : R(c->act_min, 127);
  c->cout = cout; c->kh = kh; c->kw = kw; c->cin = cin;
  const int64_t nin = bf_numel(&k->ti);
  const int64_t nw = depthwise ? (int64_t)kh * kw * cout : (int64_t)cout * kh * kw * cin;
  k->in = malloc((size_t)nin);
  rand_s8(k->in, nin);
  k->w = malloc((size_t)nw);
  rand_s8(k->w, nw);
  if (R(0, 9) == 0) memset(k->w, -128, (size_t)nw); /* extreme weights */
  k->keep = malloc((size_t)cout * kh * kw);
  static const int keep_pct[] = {0, 10, 25, 50, 75, 100};
  const int kp = keep_pct[R(0, 5)];
  for (int f = 0; f < cout * kh * kw; ++f) k->keep[f] = R(0, 99) < kp;
  for (int o = 0; o < cout; o += R(1, 4)) memset(k->keep + (size_t)o * kh * kw, 0, (size_t)kh * kw);
  /* the dense kernel sees pruned filterlets as zeros */
  if (!depthwise)
    for (int f = 0; f < cout * kh * kw; ++f)
      if (!k->keep[f]) memset(k->w + (size_t)f * cin, 0, (size_t)cin);
  k->bias = malloc(4u * cout);
  k->mult = malloc(4u * cout);
  k->shift = malloc(4u * cout);
  k->shift8 = malloc((size_t)cout);
  for (int o = 0; o < cout; ++o) {
    k->bias[o] = R(0, 9) == 0 ? R(-(1 << 30), 1 << 30) : R(-20000, 20000);
    k->mult[o] = (int32_t)(0x40000000u + (bf_rand(&seed) & 0x3FFFFFFFu));
    k->shift[o] = R(0, 19) == 0 ? R(-31, 30) : R(-14, -5);
    k->shift8[o] = (int8_t)k->shift[o];
  }
  c->weights = k->w; c->keep = depthwise ? NULL : k->keep; c->bias = k->bias;
  c->multiplier = k->mult; c->shift = k->shift;
}

static void free_case(conv_case* k) {
  free(k->in); free(k->w); free(k->keep); free(k->bias); free(k->mult); free(k->shift); free(k->shift8);
}

static void to_kernel(const conv_case* k, tpr_conv_params* p, tpr_channel_quant* q, tpr_dims* in,
                      tpr_dims* f, tpr_dims* out, int depthwise) {
  p->input_offset = -k->ti.zero_point;
  p->output_offset = k->to.zero_point;
  p->stride_h = k->c.stride_h; p->stride_w = k->c.stride_w;
  p->pad_top = k->c.pad_top; p->pad_left = k->c.pad_left;
  p->act_min = k->c.act_min; p->act_max = k->c.act_max;
  q->multiplier = k->mult; q->shift = k->shift8;
  *in = (tpr_dims){k->ti.dims[0], k->ti.dims[1], k->ti.dims[2], k->ti.dims[3]};
  *out = (tpr_dims){k->to.dims[0], k->to.dims[1], k->to.dims[2], k->to.dims[3]};
  *f = depthwise ? (tpr_dims){1, k->c.kh, k->c.kw, k->c.cout}
                 : (tpr_dims){k->c.cout, k->c.kh, k->c.kw, k->c.cin};
}

static int compare(const int8_t* a, const int8_t* b, int64_t n, int64_t* first) {
  for (int64_t i = 0; i < n; ++i)
    if (a[i] != b[i]) { *first = i; return 0; }
  return 1;
}

static void put_idx(uint8_t* a, int bytes, int64_t i, uint32_t v) {
  if (bytes == 0) { a[i >> 1] = (uint8_t)((i & 1) ? ((a[i >> 1] & 0x0F) | (v << 4)) : ((a[i >> 1] & 0xF0) | v)); return; } /* 4-bit */
  if (bytes == 1) a[i] = (uint8_t)v;
  else if (bytes == 2) ((uint16_t*)(void*)a)[i] = (uint16_t)v;
  else ((uint32_t*)(void*)a)[i] = v;
}

/* The kept filterlets' values in slot (filter -> kh -> kw) order, the values array of every FWCS
 * index kind, followed by the 16-byte pad (its contents must not matter). */
static int8_t* pack_kept_values(const conv_case* k, int64_t slots, int cin, int64_t nkept) {
  int8_t* values = malloc((size_t)(nkept * cin + 16));
  int64_t j = 0;
  for (int64_t f = 0; f < slots; ++f)
    if (k->keep[f]) memcpy(values + j++ * cin, k->w + f * cin, (size_t)cin);
  memset(values + j * cin, 0x7F, 16);
  return values;
}

/* One conv case's kernel arguments and brute-force result, for checking FWCS index variants. */
typedef struct {
  const tpr_conv_params* p;
  const tpr_channel_quant* q;
  const tpr_dims *di, *df, *dout;
  const conv_case* k;
  const int8_t* want;
  int8_t* got;
  int64_t nout;
  int iter;
} fwcs_check;

/* runs the FWCS kernel on fw and compares with the brute-force output; `what` names the index */
static void check_fwcs(const fwcs_check* c, const tpr_fwcs_weights* fw, const char* what) {
  void* scratch = malloc(tpr_conv2d_fwcs_s8_scratch_size(c->di, c->df, c->dout));
  int64_t at = -1;
  memset(c->got, 0x55, (size_t)c->nout);
  tpr_conv2d_fwcs_s8(c->p, c->q, c->di, c->k->in, c->df, fw, c->k->bias, c->dout, c->got, scratch);
  TU_CHECK(compare(c->want, c->got, c->nout, &at), "conv2d_fwcs %s iter %d at %lld: want %d got %d", what,
           c->iter, (long long)at, at >= 0 ? c->want[at] : 0, at >= 0 ? c->got[at] : 0);
  free(scratch);
}

static void test_conv(int iter) {
  conv_case k;
  const int force_1x1 = iter % 5 == 0;
  make_case(&k, 0, force_1x1);
  tpr_conv_params p; tpr_channel_quant q; tpr_dims di, df, dout;
  to_kernel(&k, &p, &q, &di, &df, &dout, 0);
  const int64_t nout = bf_numel(&k.to);
  int8_t* want = malloc((size_t)nout);
  int8_t* got = malloc((size_t)nout);
  bf_conv2d(&k.ti, k.in, &k.to, want, &k.c, 0);
  int64_t at = -1;

  /* dense */
  size_t ss = tpr_conv2d_s8_scratch_size(&di, &df, &dout);
  void* scratch = malloc(ss ? ss : 1);
  memset(got, 0x55, (size_t)nout);
  tpr_conv2d_s8(&p, &q, &di, k.in, &df, k.w, k.bias, &dout, got, scratch);
  TU_CHECK(compare(want, got, nout, &at), "conv2d iter %d at %lld: want %d got %d", iter,
           (long long)at, at >= 0 ? want[at] : 0, at >= 0 ? got[at] : 0);
  free(scratch);

  /* 1x1 fast path */
  if (df.h == 1 && df.w == 1 && p.pad_top == 0 && p.pad_left == 0 && k.c.pad_bottom == 0 &&
      k.c.pad_right == 0) {
    ss = tpr_conv2d_1x1_s8_scratch_size(&di, &df, &dout);
    scratch = malloc(ss ? ss : 1);
    memset(got, 0x55, (size_t)nout);
    tpr_conv2d_1x1_s8(&p, &q, &di, k.in, &df, k.w, k.bias, &dout, got, scratch);
    TU_CHECK(compare(want, got, nout, &at), "conv2d_1x1 iter %d at %lld", iter, (long long)at);
    free(scratch);
  }

  /* FWCS with every index kind and width: the same kept values, each index built its own way */
  const int taps = df.h * df.w;
  const int64_t slots = (int64_t)df.n * taps;
  int64_t nkept = 0;
  for (int64_t f = 0; f < slots; ++f) nkept += k.keep[f];
  const fwcs_check fc = {&p, &q, &di, &df, &dout, &k, want, got, nout, iter};
  int8_t* values = pack_kept_values(&k, slots, df.c, nkept);
  char what[32];
  for (int rpb = 1; rpb <= 4; rpb *= 2) /* CSR: row pointer bytes x position widths */
    for (int pb = 0; pb <= 4; pb = pb ? pb * 2 : 1) { /* pos entry bytes; 0 = 4-bit packed */
      if ((pb == 1 && taps > 256) || (pb == 0 && taps > 16) || (rpb == 1 && nkept > 255)) continue;
      uint8_t* rp = malloc((size_t)(df.n + 1) * rpb);
      uint8_t* pos = calloc((size_t)(nkept ? nkept : 1) * (pb ? pb : 1), 1);
      int64_t j = 0;
      for (int o = 0; o < df.n; ++o) {
        put_idx(rp, rpb, o, (uint32_t)j);
        for (int t = 0; t < taps; ++t)
          if (k.keep[o * taps + t]) put_idx(pos, pb, j++, (uint32_t)t);
      }
      put_idx(rp, rpb, df.n, (uint32_t)j);
      const tpr_fwcs_weights fw = {values, rp, pos, (uint8_t)rpb, (uint8_t)(pb ? 8 * pb : 4), (uint32_t)nkept};
      snprintf(what, sizeof what, "csr rpb %d pb %d", rpb, pb);
      check_fwcs(&fc, &fw, what);
      free(rp); free(pos);
    }
  { /* MASK (filterlet bitmap, exactly sized: ASan catches any over-read) */
    uint8_t* mask = calloc((size_t)((slots + 7) / 8 ? (slots + 7) / 8 : 1), 1);
    for (int64_t f = 0; f < slots; ++f)
      if (k.keep[f]) mask[f >> 3] = (uint8_t)(mask[f >> 3] | (1u << (f & 7)));
    const tpr_fwcs_weights fw = {values, NULL, mask, 0, 1, (uint32_t)nkept};
    check_fwcs(&fc, &fw, "mask");
    free(mask);
  }
  if (nkept >= 1) { /* EF (Elias-Fano stream, exactly sized) */
    uint8_t* ef = calloc(bf_ef_bytes((uint32_t)slots, (uint32_t)nkept), 1);
    TU_CHECK(bf_ef_encode(k.keep, (uint32_t)slots, ef) == (uint32_t)nkept, "ef encode");
    const tpr_fwcs_weights fw = {values, NULL, ef, 0, 2, (uint32_t)nkept};
    check_fwcs(&fc, &fw, "ef");
    free(ef);
  }
  free(values);
  free(want); free(got);
  free_case(&k);
}

static void test_depthwise(int iter) {
  conv_case k;
  make_case(&k, 1, 0);
  tpr_conv_params p; tpr_channel_quant q; tpr_dims di, df, dout;
  to_kernel(&k, &p, &q, &di, &df, &dout, 1);
  const int64_t nout = bf_numel(&k.to);
  int8_t* want = malloc((size_t)nout);
  int8_t* got = malloc((size_t)nout);
  bf_conv2d(&k.ti, k.in, &k.to, want, &k.c, 1);
  size_t ss = tpr_depthwise_conv2d_s8_scratch_size(&di, &df, &dout);
  void* scratch = malloc(ss ? ss : 1);
  tpr_depthwise_conv2d_s8(&p, &q, &di, k.in, &df, k.w, k.bias, &dout, got, scratch);
  int64_t at = -1;
  TU_CHECK(compare(want, got, nout, &at), "depthwise iter %d at %lld", iter, (long long)at);
  free(scratch); free(want); free(got);
  free_case(&k);
}

static void test_fc(int iter) {
  const int batches = R(1, 3), in_f = R(1, 200), out_f = R(1, 40);
  tpr_builder_tensor ti = {2, {batches, in_f}, 1.0f, R(-128, 127)};
  tpr_builder_tensor to = {2, {batches, out_f}, 1.0f, R(-128, 127)};
  int8_t* in = malloc((size_t)batches * in_f);
  int8_t* w = malloc((size_t)in_f * out_f);
  int32_t* bias = malloc(4u * out_f);
  int32_t* mult = malloc(4u * out_f);
  int32_t* shift = malloc(4u * out_f);
  int8_t* shift8 = malloc((size_t)out_f);
  rand_s8(in, (int64_t)batches * in_f);
  rand_s8(w, (int64_t)in_f * out_f);
  for (int o = 0; o < out_f; ++o) {
    bias[o] = R(-30000, 30000);
    mult[o] = (int32_t)(0x40000000u + (bf_rand(&seed) & 0x3FFFFFFFu));
    shift[o] = R(-13, -3);
    shift8[o] = (int8_t)shift[o];
  }
  tpr_builder_fc f = {0, 0, in_f, out_f, w, bias, mult, shift, R(-128, -100), R(100, 127), TPR_ACT_NONE};
  int8_t* want = malloc((size_t)batches * out_f);
  int8_t* got = malloc((size_t)batches * out_f);
  bf_fc(&ti, in, &to, want, &f);
  tpr_fc_params p = {-ti.zero_point, to.zero_point, f.act_min, f.act_max};
  tpr_channel_quant q = {mult, shift8};
  size_t ss = tpr_fully_connected_s8_scratch_size(in_f, out_f);
  void* scratch = malloc(ss ? ss : 1);
  tpr_fully_connected_s8(&p, &q, batches, in_f, in, out_f, w, bias, got, scratch);
  int64_t at = -1;
  TU_CHECK(compare(want, got, (int64_t)batches * out_f, &at), "fc iter %d at %lld", iter, (long long)at);
  free(scratch); free(in); free(w); free(bias); free(mult); free(shift); free(shift8);
  free(want); free(got);
}

static void test_add(int iter) {
  const int n = R(1, 300);
  tpr_builder_tensor t0 = {1, {n}, 1.0f, R(-128, 127)}, t1 = {1, {n}, 1.0f, R(-128, 127)};
  tpr_builder_tensor to = {1, {n}, 1.0f, R(-128, 127)};
  int8_t* a = malloc((size_t)n);
  int8_t* b = malloc((size_t)n);
  int8_t* want = malloc((size_t)n);
  int8_t* got = malloc((size_t)n);
  rand_s8(a, n); rand_s8(b, n);
  tpr_builder_add pa;
  memset(&pa, 0, sizeof pa);
  pa.left_shift = R(0, 1) ? 20 : R(0, 22);
  pa.input0_mult = (int32_t)(0x40000000u + (bf_rand(&seed) & 0x3FFFFFFFu));
  pa.input1_mult = (int32_t)(0x40000000u + (bf_rand(&seed) & 0x3FFFFFFFu));
  pa.output_mult = (int32_t)(0x40000000u + (bf_rand(&seed) & 0x3FFFFFFFu));
  pa.input0_shift = R(-3, 0); pa.input1_shift = R(-3, 0);
  pa.output_shift = iter % 7 == 0 ? R(-31, 30) : -pa.left_shift + R(-2, 2);
  if (pa.output_shift < -31) pa.output_shift = -31;
  pa.act_min = R(-128, -60); pa.act_max = R(60, 127);
  bf_add(&t0, a, &t1, b, &to, want, &pa);
  tpr_add_params p = {-t0.zero_point, -t1.zero_point, to.zero_point, pa.left_shift,
                      pa.input0_mult, pa.input0_shift, pa.input1_mult, pa.input1_shift,
                      pa.output_mult, pa.output_shift, pa.act_min, pa.act_max};
  tpr_add_s8(&p, (size_t)n, a, b, got);
  int64_t at = -1;
  TU_CHECK(compare(want, got, n, &at), "add iter %d at %lld", iter, (long long)at);
  memcpy(got, a, (size_t)n);
  tpr_add_s8(&p, (size_t)n, got, b, got); /* in place */
  TU_CHECK(compare(want, got, n, &at), "add in-place iter %d at %lld", iter, (long long)at);
  free(a); free(b); free(want); free(got);
}

static void test_pool(int iter) {
  const int n = R(1, 2), c = R(1, 20), kh = R(1, 4), kw = R(1, 4), sh = R(1, 3), sw = R(1, 3);
  const int pt = R(0, kh - 1), pb = R(0, kh - 1), pl = R(0, kw - 1), pr = R(0, kw - 1);
  int h = R(1, 10), w = R(1, 10);
  if (h + pt + pb < kh) h = kh;
  if (w + pl + pr < kw) w = kw;
  tpr_builder_tensor ti = {4, {n, h, w, c}, 1.0f, 0};
  tpr_builder_tensor to = {4, {n, (h + pt + pb - kh) / sh + 1, (w + pl + pr - kw) / sw + 1, c}, 1.0f, 0};
  tpr_builder_pool bp = {0, 0, kh, kw, sh, sw, pt, pb, pl, pr, R(-128, -50), R(50, 127)};
  int8_t* in = malloc((size_t)bf_numel(&ti));
  rand_s8(in, bf_numel(&ti));
  const int64_t no = bf_numel(&to);
  int8_t* want = malloc((size_t)no);
  int8_t* got = malloc((size_t)no);
  tpr_pool_params p = {kh, kw, sh, sw, pt, pl, bp.act_min, bp.act_max};
  tpr_dims di = {n, h, w, c}, dout = {to.dims[0], to.dims[1], to.dims[2], c};
  int64_t at = -1;
  for (int is_max = 0; is_max <= 1; ++is_max) {
    bf_pool(&ti, in, &to, want, &bp, is_max);
    if (is_max) tpr_max_pool_s8(&p, &di, in, &dout, got);
    else tpr_avg_pool_s8(&p, &di, in, &dout, got);
    TU_CHECK(compare(want, got, no, &at), "%s iter %d at %lld", is_max ? "max_pool" : "avg_pool",
             iter, (long long)at);
  }
  free(in); free(want); free(got);
}

static void test_gap(int iter) {
  const int n = R(1, 2), h = R(1, 9), w = R(1, 9), c = R(1, 40);
  tpr_builder_tensor ti = {4, {n, h, w, c}, 1.0f, R(-128, 127)};
  tpr_builder_tensor to = {2, {n, c}, 1.0f, R(-128, 127)};
  tpr_builder_gap g = {0, 0, (int32_t)(0x40000000u + (bf_rand(&seed) & 0x3FFFFFFFu)), R(-9, 0), -128, 127};
  int8_t* in = malloc((size_t)bf_numel(&ti));
  rand_s8(in, bf_numel(&ti));
  int8_t* want = malloc((size_t)n * c);
  int8_t* got = malloc((size_t)n * c);
  bf_gap(&ti, in, &to, want, &g);
  tpr_gap_params p = {-ti.zero_point, to.zero_point, g.multiplier, g.shift, -128, 127};
  tpr_dims di = {n, h, w, c};
  tpr_global_avg_pool_s8(&p, &di, in, got);
  int64_t at = -1;
  TU_CHECK(compare(want, got, (int64_t)n * c, &at), "gap iter %d at %lld", iter, (long long)at);
  free(in); free(want); free(got);
}

static int cmp_u32(const void* a, const void* b) {
  const uint32_t x = *(const uint32_t*)a, y = *(const uint32_t*)b;
  return x < y ? -1 : x > y;
}

/* The EF decoder (kernel_util.h) on its own, on random sets including l = 0 (dense), l >= 25
 * (u close to 2^32, the two-read low path) and the cursor going backwards; streams exactly
 * sized (AddressSanitizer). */
static void test_ef_decoder(int iters) {
  static const uint32_t us[] = {1, 2, 3, 9, 288, 1000, 4097, 1u << 20, 0x7FFFFFFFu, 0xFFFFFFFFu};
  uint32_t* f = malloc(4u * 300);
  for (int it = 0; it < iters; ++it) {
    const uint32_t u = R(0, 2) ? us[R(0, 9)] : 1u + bf_rand(&seed) % 5000u;
    const uint32_t nmax = u < 300u ? u : 300u;
    uint32_t n = 1u + bf_rand(&seed) % nmax;
    if (R(0, 4) == 0) n = nmax; /* dense: everything kept when u <= 300 */
    if (n == u) {
      for (uint32_t j = 0; j < n; ++j) f[j] = j;
    } else {
      for (uint32_t j = 0; j < n; ++j) f[j] = bf_rand(&seed) % u;
      qsort(f, n, 4, cmp_u32);
      uint32_t m = 0;
      for (uint32_t j = 0; j < n; ++j)
        if (m == 0 || f[j] != f[m - 1]) f[m++] = f[j];
      n = m;
    }
    uint8_t* s = calloc(bf_ef_bytes(u, n), 1);
    bf_ef_encode_list(f, n, u, s);
    tpr_ef_reader e;
    tpr_ef_init(&e, s, u, n);
    int ok = 1;
    for (uint32_t j = 0; j < n && ok; ++j) {
      ok = tpr_ef_peek(&e) == f[j];
      tpr_ef_pop(&e);
    }
    ok = ok && tpr_ef_peek(&e) == 0xFFFFFFFFu;
    TU_CHECK(ok, "ef decode u %u n %u l %u", u, n, tpr_fmt_ef_low_bits(u, n));
    /* the cursor over filters of `taps` slots when u splits into them: every filter twice
     * (the second time restarts the decoder), then all filters in order */
    const uint32_t taps = u % 9u == 0 ? 9u : (u % 7u == 0 ? 7u : 1u);
    if (u / taps <= 5000u) {
      const tpr_fwcs_weights w = {NULL, NULL, s, 0, 2, n};
      tpr_fwcs_cursor c;
      tpr_fwcs_begin(&w, u / taps, taps, &c);
      uint32_t j = 0, t;
      for (uint32_t o = 0; o < u / taps && ok; ++o)
        for (int rep = 0; rep < 2 && ok; ++rep) {
          uint32_t jj = j;
          tpr_fwcs_filter(&w, taps, o, &c);
          while (ok && tpr_fwcs_next(&w, &c, &t)) ok = jj < n && f[jj++] == o * taps + t;
          ok = ok && (jj == n || f[jj] >= (o + 1) * taps);
          if (rep == 1) j = jj;
        }
      TU_CHECK(ok && j == n, "ef cursor u %u n %u taps %u", u, n, taps);
    }
    free(s);
  }
  free(f);
}

static void test_requant(void) {
  /* tpr_requantize vs the independently written oracle, including extremes */
  const int32_t xs[] = {0, 1, -1, 2, -2, 3, -3, 12345, -12345, INT32_MAX, INT32_MIN, 1 << 30, -(1 << 30)};
  for (int i = 0; i < 20000 * (TPR_TEST_ITERS >= 100 ? 10 : 1); ++i) {
    int32_t x = i < 13 * 8 ? xs[i % 13] : (int32_t)bf_rand(&seed) >> R(0, 31);
    int32_t m = i % 8 == 0 ? INT32_MAX : (int32_t)(bf_rand(&seed) & 0x7FFFFFFFu);
    int32_t s = R(-31, 30);
    int64_t want = bf_requant(x, m, s);
    int32_t got = tpr_requantize(x, m, s);
    /* the gemmlowp building blocks, composed literally */
    int32_t xl = x;
    if (s > 0) { int64_t v = (int64_t)x * ((int64_t)1 << s); xl = v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v; }
    const int32_t lit = tpr_rounding_divide_by_pot(tpr_sat_rounding_doubling_high_mul(xl, m), s < 0 ? -s : 0);
    if (lit != got) { TU_CHECK(lit == got, "requant vs gemmlowp x=%d m=%d s=%d: %d vs %d", x, m, s, lit, got); return; }
    if (want != got) { TU_CHECK(want == got, "requant x=%d m=%d s=%d want %lld got %d", x, m, s, (long long)want, got); return; }
  }
  TU_CHECK(1, "requant");
}

int main(int argc, char** argv) {
  int iters = argc > 1 ? atoi(argv[1]) : TPR_TEST_ITERS;
  test_requant();
  test_ef_decoder(iters * 2);
  for (int i = 0; i < iters; ++i) {
    test_conv(i);
    test_depthwise(i);
    test_fc(i);
    test_add(i);
    test_pool(i);
    test_gap(i);
  }
  return tu_finish();
}
