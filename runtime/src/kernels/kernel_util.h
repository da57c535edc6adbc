/* Internal helpers shared by all kernel variants (not installed). */
#ifndef TPR_KERNEL_UTIL_H
#define TPR_KERNEL_UTIL_H

#include <string.h>

#include "tpr_format.h"
#include "tpr_kernels.h"
#include "tpr_requant.h"

/** Entry i of an unsigned index array whose entries are 1, 2 or 4 bytes (native = little endian). */
static inline uint32_t tpr_idx_at(const void* a, uint8_t bytes, uint32_t i) {
  if (bytes == 1) return ((const uint8_t*)a)[i];
  if (bytes == 2) return ((const uint16_t*)a)[i];
  return ((const uint32_t*)a)[i];
}

/**
 * im2col row of output pixel (n, oy, ox): KH*KW*Cin bytes in kh -> kw -> c order; taps outside the
 * input are filled with the input zero point (-input_offset) so that (x + input_offset) == 0.
 */
static inline void tpr_im2col_row_s8(const tpr_conv_params* p, const tpr_dims* in_dims,
                                     const int8_t* in, int32_t kh, int32_t kw, int32_t n,
                                     int32_t oy, int32_t ox, int8_t* row) {
  const int32_t cin = in_dims->c;
  const int8_t pad_value = (int8_t)(-p->input_offset);
  const int32_t iy0 = oy * p->stride_h - p->pad_top;
  const int32_t ix0 = ox * p->stride_w - p->pad_left;
  for (int32_t y = 0; y < kh; ++y) {
    const int32_t iy = iy0 + y;
    if (iy < 0 || iy >= in_dims->h) {
      memset(row, pad_value, (size_t)(kw * cin));
      row += kw * cin;
      continue;
    }
    const int8_t* src = in + (((size_t)n * in_dims->h + (size_t)iy) * in_dims->w) * cin;
    int32_t x = 0;
    /* left padding, in-bounds run, right padding */
    while (x < kw && ix0 + x < 0) { memset(row, pad_value, (size_t)cin); row += cin; ++x; }
    int32_t run = kw - x;
    if (ix0 + x + run > in_dims->w) run = in_dims->w - (ix0 + x);
    if (run > 0) {
      memcpy(row, src + (size_t)(ix0 + x) * cin, (size_t)(run * cin));
      row += run * cin;
      x += run;
    }
    if (x < kw) { memset(row, pad_value, (size_t)((kw - x) * cin)); row += (kw - x) * cin; }
  }
}

/** Position j of an FWCS position array with 4-, 8-, 16- or 32-bit entries. */
static inline uint32_t tpr_pos_at(const void* a, uint8_t bits, uint32_t j) {
  if (bits == 4) return (((const uint8_t*)a)[j >> 1] >> ((j & 1u) << 2)) & 15u;
  return tpr_idx_at(a, (uint8_t)(bits >> 3), j);
}


/** index of the lowest set bit of x != 0 */
static inline uint32_t tpr_ctz(uint32_t x) {
#if defined(__GNUC__) || defined(__clang__)
  return (uint32_t)__builtin_ctz(x);
#else
  uint32_t n = 0;
  while (!(x & 1u)) { x >>= 1; ++n; }
  return n;
#endif
}

/* out of line (the decoder loop keeps its state in registers), unused in some kernel files */
#if defined(__GNUC__) || defined(__clang__)
#define TPR_OUT_OF_LINE static __attribute__((noinline, unused))
#else
#define TPR_OUT_OF_LINE static
#endif

/** Sequential Elias-Fano decoder (format 1.2, tpr_format.h). tpr_ef_fill() decodes up to
 *  TPR_EF_BATCH elements at a time into buf, in two short loops with their state in registers:
 *  the high values (tpr_ef_high: count-trailing-zeros and clear-lowest-one on chunks of up to 32
 *  bits), then the low bits merged in (l bits from a bit buffer refilled with 32-bit loads).
 *  Consumers read buf (tpr_ef_peek / tpr_ef_pop) or merge the low bits themselves. Loads are
 *  bounds-checked against the stream end: only bytes of [stream, stream + tpr_fmt_ef_bytes) are
 *  ever read, whatever they hold. No random access. */
#define TPR_EF_BATCH 16u
typedef struct {
  const uint8_t* lp;  /* low part: next byte to load */
  const uint8_t* hp;  /* high part: next byte to load */
  const uint8_t* end; /* one past the stream's last byte */
  uint32_t lb, lc;    /* low part: buffered bits (next one in bit 0), their count */
  uint32_t hb;        /* high part: ones of the current chunk not consumed yet */
  uint32_t hj;        /* high part: position of the current chunk's bit 0 (counted from the start
                         of the high part) minus the elements decoded so far, mod 2^32 */
  uint32_t hs;        /* bits in the current chunk (8 or 32) */
  uint32_t l;         /* low bits per element */
  uint32_t left;      /* elements not decoded yet */
  uint32_t i, cnt;    /* buf: next entry to consume, decoded entries */
  uint32_t buf[TPR_EF_BATCH];
} tpr_ef_reader;

/** decode the high values of the next min(left, TPR_EF_BATCH) elements into buf (fewer if the
 *  stream is invalid): element j's high value = (position of the j-th one) - j. Sets cnt and
 *  i = 0, returns cnt; the low bits are still to be merged (tpr_ef_fill, or a caller's own loop
 *  with tpr_ef_low_refill). */
TPR_OUT_OF_LINE uint32_t tpr_ef_high(tpr_ef_reader* e) {
  const uint8_t* const end = e->end;
  const uint32_t k = e->left < TPR_EF_BATCH ? e->left : TPR_EF_BATCH;
  uint32_t* const buf = e->buf;
  const uint8_t* hp = e->hp;
  uint32_t hb = e->hb, hj = e->hj, hs = e->hs, i = 0;
  for (; i < k; ++i) {
    while (hb == 0) { /* next chunk */
      hj += hs;
      if (end - hp >= 4) {
        memcpy(&hb, hp, 4); /* little endian, as every index array the kernels read */
        hp += 4;
        hs = 32u;
      } else if (hp < end) {
        hb = *hp++;
        hs = 8u;
      } else {
        goto done; /* fewer ones than elements: not a valid stream, stop here */
      }
    }
    buf[i] = hj + tpr_ctz(hb);
    hb &= hb - 1u;
    hj -= 1u;
  }
done:
  e->hp = hp;
  e->hb = hb;
  e->hj = hj;
  e->hs = hs;
  e->left = i < k ? 0u : e->left - i;
  e->i = 0;
  e->cnt = i;
  return i;
}

/** low part: load more bits into (lb, lc) when fewer than 25 are buffered (at least 25 after it,
 *  unless the stream ends); a single 32-bit load while 4 bytes remain. Bits above lc may hold the
 *  stream's next bits (they are loaded again, identically, by the next refill). */
static inline void tpr_ef_low_refill(const uint8_t** lp, const uint8_t* end, uint32_t* lb,
                                     uint32_t* lc) {
  if (*lc > 24u) return;
  if (end - *lp >= 4) {
    uint32_t x;
    memcpy(&x, *lp, 4);
    *lb |= x << *lc;
    const uint32_t nb = (32u - *lc) >> 3; /* whole bytes that fit */
    *lp += nb;
    *lc += 8u * nb;
  } else {
    for (; *lc <= 24u && *lp < end; *lc += 8u) *lb |= (uint32_t)*(*lp)++ << *lc;
  }
}

/** decode the next min(left, TPR_EF_BATCH) elements into buf (fewer if the stream is invalid) */
TPR_OUT_OF_LINE void tpr_ef_fill(tpr_ef_reader* e) {
  const uint32_t n = tpr_ef_high(e), l = e->l;
  uint32_t* const buf = e->buf;
  const uint8_t* lp = e->lp;
  const uint8_t* const end = e->end;
  uint32_t lb = e->lb, lc = e->lc;
  if (l <= 24u) {
    const uint32_t mask = (1u << l) - 1u;
    for (uint32_t m = 0; m < n; ++m) {
      if (lc < l) tpr_ef_low_refill(&lp, end, &lb, &lc);
      buf[m] = (buf[m] << l) | (lb & mask);
      lb >>= l;
      lc -= l; /* wraps only past the end of an invalid stream: nothing more is loaded then */
    }
  } else { /* l in 25..31 (over 2^25 slots per kept filterlet): two reads */
    for (uint32_t m = 0; m < n; ++m) {
      if (lc < 16u) tpr_ef_low_refill(&lp, end, &lb, &lc);
      uint32_t low = lb & 0xFFFFu;
      lb >>= 16;
      lc -= 16u;
      if (lc < l - 16u) tpr_ef_low_refill(&lp, end, &lb, &lc);
      low |= (lb & ((1u << (l - 16u)) - 1u)) << 16;
      lb >>= l - 16u;
      lc -= l - 16u;
      buf[m] = (buf[m] << l) | low;
    }
  }
  e->lp = lp;
  e->lb = lb;
  e->lc = lc;
}

/** the next element without consuming it; 0xFFFFFFFF when there is none */
static inline uint32_t tpr_ef_peek(tpr_ef_reader* e) {
  if (e->i == e->cnt) {
    if (e->left == 0) return 0xFFFFFFFFu;
    tpr_ef_fill(e);
    if (e->cnt == 0) return 0xFFFFFFFFu;
  }
  return e->buf[e->i];
}
/** consume the element tpr_ef_peek() returned (only after it returned one) */
static inline void tpr_ef_pop(tpr_ef_reader* e) { ++e->i; }

/** start decoding the stream of n elements below u (n == 0: no elements) */
static inline void tpr_ef_init(tpr_ef_reader* e, const void* stream, uint32_t u, uint32_t n) {
  const uint8_t* s = (const uint8_t*)stream;
  e->lp = e->hp = e->end = s;
  e->lb = e->lc = e->hb = e->hj = e->hs = e->l = e->left = e->i = e->cnt = 0;
  if (n == 0 || u < n) return;
  e->l = tpr_fmt_ef_low_bits(u, n);
  /* 32-bit arithmetic: tpr_model_init() checked that the stream has fewer than 2^32 bits */
  const uint32_t hstart = n * e->l; /* first bit of the high part */
  const uint32_t bits = hstart + n + ((u - 1u) >> e->l) + 1u;
  e->end = s + (bits >> 3) + ((bits & 7u) != 0u);
  e->hp = s + (hstart >> 3);
  /* first chunk: the byte holding the high part's first bit, without the low part's bits; its
   * bit 0 lies (hstart & 7) bits before the high part */
  e->hb = (uint32_t)*e->hp++ & (0xFFu << (hstart & 7u));
  e->hj = 0u - (uint32_t)(hstart & 7u);
  e->hs = 8u;
  e->left = n;
}

/** EF, taps <= 32: every filter's kept taps as a bit set (bit t = tap t) into the uint32 at
 *  (char*)bits + o*stride, in one pass over the stream: filters in the outer loop, the slot
 *  numbers below the filter's end in the inner one. High values come by batches from
 *  tpr_ef_high(); the low bits are merged here (l <= 24; beyond, the generic tpr_ef_peek). */
TPR_OUT_OF_LINE void tpr_ef_filter_bits(const tpr_fwcs_weights* w, uint32_t cout, uint32_t taps,
                                        uint32_t* bits, size_t stride) {
  tpr_ef_reader e;
  tpr_ef_init(&e, w->pos, cout * taps, w->nkept);
  uint8_t* out = (uint8_t*)bits;
  uint8_t* const out_end = out + cout * stride;
  uint32_t f0 = 0;
  if (e.l > 24u) { /* over 2^25 slots per kept filterlet */
    for (; out < out_end; out += stride, f0 += taps) {
      uint32_t b = 0;
      for (uint32_t f; (f = tpr_ef_peek(&e)) - f0 < taps; tpr_ef_pop(&e)) b |= 1u << (f - f0);
      memcpy(out, &b, 4);
    }
    return;
  }
  const uint8_t* lp = e.lp;
  const uint8_t* const end = e.end;
  const uint32_t l = e.l;
  uint32_t lb = 0, lc = 0, f = 0xFFFFFFFFu;
  const uint32_t* h = e.buf;
  const uint32_t* h_end = e.buf;
/* f = the next element, 0xFFFFFFFF after the last; lb - ((lb >> l) << l) = the low l bits */
#define TPR_EF_NEXT()                                                          \
  do {                                                                         \
    if (h == h_end) {                                                          \
      h = e.buf;                                                               \
      h_end = e.buf + (e.left ? tpr_ef_high(&e) : 0u);                         \
      if (h == h_end) { f = 0xFFFFFFFFu; break; }                             \
    }                                                                          \
    if (lc < l) tpr_ef_low_refill(&lp, end, &lb, &lc);                         \
    const uint32_t nb_ = lb >> l;                                              \
    f = ((*h++ - nb_) << l) + lb;                                              \
    lb = nb_;                                                                  \
    lc -= l;                                                                   \
  } while (0)
  TPR_EF_NEXT();
  for (; out < out_end; out += stride, f0 += taps) {
    uint32_t b = 0;
    while (f - f0 < taps) { /* f >= f0 here: the stream is increasing */
      b |= 1u << (f - f0);
      TPR_EF_NEXT();
    }
    memcpy(out, &b, 4);
  }
#undef TPR_EF_NEXT
}

/** Walks the kept filterlets filter by filter, in values order, for every index kind. Start it
 *  once per call with tpr_fwcs_begin(), then tpr_fwcs_filter(o) / tpr_fwcs_next() for any
 *  sequence of filters. CSR and MASK have random access per filter. EF is decoded sequentially
 *  and the decoder state is kept across filters: visiting the filters in increasing order costs
 *  one pass over the stream per call; going back to an earlier filter restarts from the
 *  beginning (the reference kernel does that once per group of pixels). */
typedef struct {
  uint32_t j, end, f, f0, f_end, bits; int window; /* current filter (CSR, MASK, EF) */
  uint32_t ef_u;  /* EF: slots (Cout*KH*KW) */
  uint32_t ef_done; /* EF: end of the last filter started (a filter before it restarts) */
  tpr_ef_reader ef;
} tpr_fwcs_cursor;

/** MASK index: the bits of slots [f0, f0 + taps) as a bit set (bit t = slot f0 + t), taps <= 25;
 *  only the bitmap bytes holding them are read. */
static inline uint32_t tpr_mask_filter_bits(const void* bitmap, uint32_t f0, uint32_t taps) {
  const uint8_t* m = (const uint8_t*)bitmap + (f0 >> 3);
  const uint32_t sh = f0 & 7u, nbytes = (sh + taps + 7u) >> 3;
  uint32_t x = m[0]; /* nbytes >= 1 */
  for (uint32_t i = 1; i < nbytes; ++i) x |= (uint32_t)m[i] << (8u * i);
  return (x >> sh) & ((1u << taps) - 1u);
}

/** Index kinds (tpr_fwcs_kind). The *_k functions take the kind as an argument: called with a
 *  constant (a loop specialised per kind) they carry no per-filterlet kind test. */
enum { TPR_FWCS_CSR = 0, TPR_FWCS_MASK = 1, TPR_FWCS_EF = 2 };
static inline int tpr_fwcs_kind(const tpr_fwcs_weights* w) {
  return w->row_ptr_bytes != 0 ? TPR_FWCS_CSR
         : w->pos_bits == TPR_FMT_FWCS_MASK_POS_BITS ? TPR_FWCS_MASK : TPR_FWCS_EF;
}

/** Start walking w (cout filters of taps = KH*KW slots) whose index is of the given kind. */
static inline void tpr_fwcs_begin_k(const tpr_fwcs_weights* w, int kind, uint32_t cout,
                                    uint32_t taps, tpr_fwcs_cursor* c) {
  c->j = c->end = c->f = c->f0 = c->f_end = c->bits = 0;
  c->window = 0;
  c->ef_u = cout * taps;
  c->ef_done = 0;
  tpr_ef_init(&c->ef, w->pos, c->ef_u, kind == TPR_FWCS_EF ? w->nkept : 0u); /* not EF: empty */
}

/** Start filter o (taps = KH*KW). MASK with taps <= 25: the filter's bits are read once into a
 *  32-bit window (only the bitmap bytes that hold them) and walked with count-trailing-zeros.
 *  EF: kept slots of earlier filters not consumed yet are skipped. */
static inline void tpr_fwcs_filter_k(const tpr_fwcs_weights* w, int kind, uint32_t taps,
                                     uint32_t o, tpr_fwcs_cursor* c) {
  c->j = c->end = c->f = c->f0 = c->f_end = c->bits = 0;
  c->window = 0;
  if (kind == TPR_FWCS_MASK) {
    c->f0 = c->f = o * taps;
    c->f_end = c->f0 + taps;
    c->window = taps <= 25u;
    if (c->window) c->bits = tpr_mask_filter_bits(w->pos, c->f0, taps);
  } else if (kind == TPR_FWCS_EF) {
    c->f0 = o * taps;
    c->f_end = c->f0 + taps;
    if (c->f0 < c->ef_done) tpr_ef_init(&c->ef, w->pos, c->ef_u, w->nkept); /* went back: restart */
    while (tpr_ef_peek(&c->ef) < c->f0) tpr_ef_pop(&c->ef); /* kept slots of skipped filters */
    c->ef_done = c->f_end;
  } else {
    c->j = tpr_idx_at(w->row_ptr, w->row_ptr_bytes, o);
    c->end = tpr_idx_at(w->row_ptr, w->row_ptr_bytes, o + 1u);
  }
}

/** Next kept filterlet of the current filter: *t = its position kh*KW + kw; 0 when done. */
static inline int tpr_fwcs_next_k(const tpr_fwcs_weights* w, int kind, tpr_fwcs_cursor* c,
                                  uint32_t* t) {
  if (kind == TPR_FWCS_MASK) {
    if (c->window) {
      if (!c->bits) return 0;
      *t = tpr_ctz(c->bits);
      c->bits &= c->bits - 1u;
      return 1;
    }
    const uint8_t* m = (const uint8_t*)w->pos;
    while (c->f < c->f_end) {
      const uint32_t f = c->f++;
      if ((m[f >> 3] >> (f & 7u)) & 1u) { *t = f - c->f0; return 1; }
    }
    return 0;
  }
  if (kind == TPR_FWCS_EF) {
    const uint32_t d = tpr_ef_peek(&c->ef) - c->f0; /* < taps whatever the stream holds */
    if (d >= c->f_end - c->f0) return 0;
    tpr_ef_pop(&c->ef);
    *t = d;
    return 1;
  }
  if (c->j >= c->end) return 0;
  *t = tpr_pos_at(w->pos, w->pos_bits, c->j++);
  return 1;
}

/** The same with the kind read from w. */
static inline void tpr_fwcs_begin(const tpr_fwcs_weights* w, uint32_t cout, uint32_t taps,
                                  tpr_fwcs_cursor* c) {
  tpr_fwcs_begin_k(w, tpr_fwcs_kind(w), cout, taps, c);
}
static inline void tpr_fwcs_filter(const tpr_fwcs_weights* w, uint32_t taps, uint32_t o,
                                   tpr_fwcs_cursor* c) {
  tpr_fwcs_filter_k(w, tpr_fwcs_kind(w), taps, o, c);
}
static inline int tpr_fwcs_next(const tpr_fwcs_weights* w, tpr_fwcs_cursor* c, uint32_t* t) {
  return tpr_fwcs_next_k(w, tpr_fwcs_kind(w), c, t);
}

#define TPR_ALIGN16(x) (((x) + 15u) & ~(size_t)15u)

#endif
