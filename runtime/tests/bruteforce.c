#include "bruteforce.h"

int64_t bf_numel(const tpr_builder_tensor* t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; ++i) n *= t->dims[i];
  return n;
}

uint32_t bf_rand(uint32_t* s) {
  uint32_t x = *s ? *s : 0x9E3779B9u;
  x ^= x << 13; x ^= x >> 17; x ^= x << 5;
  return *s = x;
}
int32_t bf_range(uint32_t* s, int32_t lo, int32_t hi) {
  return (int32_t)(lo + (int64_t)(bf_rand(s) % (uint64_t)((int64_t)hi - lo + 1)));
}

int64_t bf_requant(int64_t x, int32_t mult, int32_t shift) {
  if (shift > 0) x *= (int64_t)1 << shift;
  if (x > INT32_MAX) x = INT32_MAX;
  if (x < INT32_MIN) x = INT32_MIN;
  /* doubling high multiply, rounding half up: floor((x*m + 2^30) / 2^31) */
  const int64_t prod = x * (int64_t)mult + ((int64_t)1 << 30);
  int64_t h = prod >= 0 ? prod >> 31 : -((-prod + ((int64_t)1 << 31) - 1) >> 31);
  if (shift >= 0) return h;
  const int r = -shift;
  const int64_t half = (int64_t)1 << (r - 1);
  return h >= 0 ? (h + half) >> r : -((-h + half) >> r); /* half away from zero */
}

int8_t bf_out(int64_t acc, int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi) {
  int64_t v = bf_requant(acc, mult, shift) + zp;
  return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

static int8_t at4(const tpr_builder_tensor* t, const int8_t* d, int n, int y, int x, int c) {
  return d[(((int64_t)n * t->dims[1] + y) * t->dims[2] + x) * t->dims[3] + c];
}

void bf_conv2d(const tpr_builder_tensor* ti, const int8_t* in, const tpr_builder_tensor* to,
               int8_t* out, const tpr_builder_conv* c, int depthwise) {
  const int cin = ti->dims[3], cout = to->dims[3];
  for (int n = 0; n < to->dims[0]; ++n)
    for (int oy = 0; oy < to->dims[1]; ++oy)
      for (int ox = 0; ox < to->dims[2]; ++ox)
        for (int o = 0; o < cout; ++o) {
          int64_t acc = c->bias ? c->bias[o] : 0;
          for (int ky = 0; ky < c->kh; ++ky)
            for (int kx = 0; kx < c->kw; ++kx) {
              const int iy = oy * c->stride_h - c->pad_top + ky;
              const int ix = ox * c->stride_w - c->pad_left + kx;
              if (iy < 0 || ix < 0 || iy >= ti->dims[1] || ix >= ti->dims[2]) continue;
              if (depthwise) {
                const int ch = o / (cout / cin);
                acc += (int64_t)(at4(ti, in, n, iy, ix, ch) - ti->zero_point) *
                       c->weights[((int64_t)ky * c->kw + kx) * cout + o];
                continue;
              }
              const int64_t f = ((int64_t)o * c->kh + ky) * c->kw + kx;
              if (c->keep && !c->keep[f]) continue;
              for (int ch = 0; ch < cin; ++ch)
                acc += (int64_t)(at4(ti, in, n, iy, ix, ch) - ti->zero_point) * c->weights[f * cin + ch];
            }
          out[(((int64_t)n * to->dims[1] + oy) * to->dims[2] + ox) * cout + o] =
              bf_out(acc, c->multiplier[o], c->shift[o], to->zero_point, c->act_min, c->act_max);
        }
}

void bf_fc(const tpr_builder_tensor* ti, const int8_t* in, const tpr_builder_tensor* to,
           int8_t* out, const tpr_builder_fc* f) {
  (void)ti;
  for (int b = 0; b < to->dims[0]; ++b)
    for (int o = 0; o < f->out_features; ++o) {
      int64_t acc = f->bias ? f->bias[o] : 0;
      for (int c = 0; c < f->in_features; ++c)
        acc += (int64_t)(in[(int64_t)b * f->in_features + c] - ti->zero_point) *
               f->weights[(int64_t)o * f->in_features + c];
      out[(int64_t)b * f->out_features + o] =
          bf_out(acc, f->multiplier[o], f->shift[o], to->zero_point, f->act_min, f->act_max);
    }
}

void bf_add(const tpr_builder_tensor* t0, const int8_t* a, const tpr_builder_tensor* t1,
            const int8_t* b, const tpr_builder_tensor* to, int8_t* out, const tpr_builder_add* p) {
  for (int64_t i = 0; i < bf_numel(to); ++i) {
    const int64_t x0 = (int64_t)(a[i] - t0->zero_point) * ((int64_t)1 << p->left_shift);
    const int64_t x1 = (int64_t)(b[i] - t1->zero_point) * ((int64_t)1 << p->left_shift);
    int64_t s = bf_requant(x0, p->input0_mult, p->input0_shift) +
                bf_requant(x1, p->input1_mult, p->input1_shift);
    if (s > INT32_MAX) s = INT32_MAX;
    if (s < INT32_MIN) s = INT32_MIN;
    out[i] = bf_out(s, p->output_mult, p->output_shift, to->zero_point, p->act_min, p->act_max);
  }
}

void bf_pool(const tpr_builder_tensor* ti, const int8_t* in, const tpr_builder_tensor* to,
             int8_t* out, const tpr_builder_pool* p, int is_max) {
  const int ch = to->dims[3];
  for (int n = 0; n < to->dims[0]; ++n)
    for (int oy = 0; oy < to->dims[1]; ++oy)
      for (int ox = 0; ox < to->dims[2]; ++ox)
        for (int c = 0; c < ch; ++c) {
          int64_t best = -1000, sum = 0, cnt = 0;
          for (int ky = 0; ky < p->kernel_h; ++ky)
            for (int kx = 0; kx < p->kernel_w; ++kx) {
              const int iy = oy * p->stride_h - p->pad_top + ky;
              const int ix = ox * p->stride_w - p->pad_left + kx;
              if (iy < 0 || ix < 0 || iy >= ti->dims[1] || ix >= ti->dims[2]) continue;
              const int v = at4(ti, in, n, iy, ix, c);
              if (v > best) best = v;
              sum += v;
              ++cnt;
            }
          int64_t v;
          if (is_max) v = best;
          else { /* divide rounding half away from zero */
            const int64_t q = ((sum < 0 ? -sum : sum) * 2 + cnt) / (2 * cnt);
            v = sum < 0 ? -q : q;
          }
          v = v < p->act_min ? p->act_min : v > p->act_max ? p->act_max : v;
          out[(((int64_t)n * to->dims[1] + oy) * to->dims[2] + ox) * ch + c] = (int8_t)v;
        }
}

void bf_gap(const tpr_builder_tensor* ti, const int8_t* in, const tpr_builder_tensor* to,
            int8_t* out, const tpr_builder_gap* g) {
  const int ch = ti->dims[3];
  for (int n = 0; n < ti->dims[0]; ++n)
    for (int c = 0; c < ch; ++c) {
      int64_t acc = 0;
      for (int y = 0; y < ti->dims[1]; ++y)
        for (int x = 0; x < ti->dims[2]; ++x) acc += at4(ti, in, n, y, x, c) - ti->zero_point;
      out[(int64_t)n * ch + c] = bf_out(acc, g->multiplier, g->shift, to->zero_point, g->act_min, g->act_max);
    }
}

/* l = the largest integer with n * 2^l <= u */
static uint32_t bf_ef_l(uint32_t u, uint32_t n) {
  uint32_t l = 0;
  while (((uint64_t)n << (l + 1)) <= u) ++l;
  return l;
}

uint32_t bf_ef_bytes(uint32_t u, uint32_t n) {
  if (n == 0) return 0;
  const uint32_t l = bf_ef_l(u, n);
  const uint64_t bits = (uint64_t)n * l + n + ((u - 1u) >> l) + 1u;
  return (uint32_t)((bits + 7u) / 8u);
}

void bf_ef_encode_list(const uint32_t* f, uint32_t n, uint32_t u, uint8_t* out) {
  const uint32_t l = bf_ef_l(u, n);
  uint64_t hi = (uint64_t)n * l;
  uint32_t bucket = 0;
  for (uint32_t j = 0; j < n; ++j) {
    for (uint32_t i = 0; i < l; ++i) {
      const uint64_t b = (uint64_t)j * l + i;
      if ((f[j] >> i) & 1u) out[b / 8] = (uint8_t)(out[b / 8] | (1u << (b % 8)));
    }
    hi += (f[j] >> l) - bucket;
    bucket = f[j] >> l;
    out[hi / 8] = (uint8_t)(out[hi / 8] | (1u << (hi % 8)));
    ++hi;
  }
}

uint32_t bf_ef_encode(const uint8_t* keep, uint32_t u, uint8_t* out) {
  uint32_t n = 0;
  for (uint32_t f = 0; f < u; ++f) n += keep[f] != 0;
  if (n == 0) return 0;
  const uint32_t l = bf_ef_l(u, n);
  uint64_t lo = 0, hi = (uint64_t)n * l; /* next bit of each part */
  uint32_t bucket = 0;                    /* high value of the previous element */
  for (uint32_t f = 0; f < u; ++f) {
    if (!keep[f]) continue;
    for (uint32_t i = 0; i < l; ++i, ++lo)
      if ((f >> i) & 1u) out[lo / 8] = (uint8_t)(out[lo / 8] | (1u << (lo % 8)));
    hi += (f >> l) - bucket; /* unary gap: zeros, then a one */
    bucket = f >> l;
    out[hi / 8] = (uint8_t)(out[hi / 8] | (1u << (hi % 8)));
    ++hi;
  }
  return n;
}
