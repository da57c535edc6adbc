/* Host-side blob builder. See tpr_builder.h; byte layout in tpr_format.h / FORMAT.md. */
#include "tpr_builder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- little-endian writers ------------------------------------------------------------------- */
static void wr_u8(uint8_t* p, uint32_t v) { p[0] = (uint8_t)v; }
static void wr_u16(uint8_t* p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr_u32(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static uint32_t rd_u16(const uint8_t* p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }
static uint32_t rd_u32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void* default_realloc(void* ctx, void* ptr, size_t size) {
  (void)ctx;
  if (size == 0) { free(ptr); return NULL; }
  return realloc(ptr, size);
}

#define FAIL(b, st) do { (b)->error = (st); return (st); } while (0)
#define STICKY(b) do { if (!(b)) return TPR_ERR_ARG; if ((b)->error != TPR_OK) return (b)->error; } while (0)

/* Append n zero bytes (aligned to `align` first); returns pointer to them or NULL (OOM). */
static uint8_t* bb_grow(tpr_builder* b, tpr_bbuf* buf, size_t n, size_t align, size_t* offset) {
  size_t start = (buf->size + align - 1) / align * align;
  size_t need = start + n;
  if (need < start) return NULL;
  if (need > buf->cap) {
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < need) cap *= 2;
    uint8_t* d = (uint8_t*)b->realloc_fn(b->ctx, buf->data, cap);
    if (!d) return NULL;
    buf->data = d;
    buf->cap = cap;
  }
  memset(buf->data + buf->size, 0, need - buf->size);
  buf->size = need;
  if (offset) *offset = start;
  return buf->data + start;
}

tpr_status tpr_builder_init(tpr_builder* b, tpr_realloc_fn realloc_fn, void* ctx) {
  if (!b) return TPR_ERR_ARG;
  memset(b, 0, sizeof *b);
  b->realloc_fn = realloc_fn ? realloc_fn : default_realloc;
  b->ctx = ctx;
  return TPR_OK;
}

void tpr_builder_free(tpr_builder* b) {
  if (!b || !b->realloc_fn) return;
  tpr_bbuf* bufs[5] = {&b->tensors, &b->ops, &b->weights, &b->data, &b->plan};
  for (int i = 0; i < 5; ++i)
    if (bufs[i]->data) b->realloc_fn(b->ctx, bufs[i]->data, 0);
  memset(b, 0, sizeof *b);
}

static const uint8_t* tensor_rec(const tpr_builder* b, uint16_t t) {
  return b->tensors.data + (size_t)t * TPR_FMT_TENSOR_SIZE;
}
static uint32_t tensor_numel(const tpr_builder* b, uint16_t t) {
  const uint8_t* r = tensor_rec(b, t);
  uint32_t n = 1;
  for (uint32_t i = 0; i < r[TPR_FMT_TENSOR_RANK]; ++i) n *= rd_u32(r + TPR_FMT_TENSOR_DIMS + 4 * i);
  return n;
}

tpr_status tpr_builder_add_tensor(tpr_builder* b, const tpr_builder_tensor* t, uint16_t* id) {
  STICKY(b);
  if (!t || !id || t->rank < 1 || t->rank > 4) FAIL(b, TPR_ERR_ARG);
  if (!(t->scale > 0.0f) || !isfinite(t->scale)) FAIL(b, TPR_ERR_ARG);
  if (t->zero_point < -128 || t->zero_point > 127) FAIL(b, TPR_ERR_ARG);
  if (b->num_tensors >= TPR_FMT_MAX_TENSORS - 1 || b->has_plan) FAIL(b, TPR_ERR_ARG);
  uint64_t numel = 1;
  for (int i = 0; i < t->rank; ++i) {
    if (t->dims[i] < 1) FAIL(b, TPR_ERR_ARG);
    numel *= (uint64_t)t->dims[i];
    if (numel > 0x7FFFFFFFu) FAIL(b, TPR_ERR_ARG);
  }
  uint8_t* r = bb_grow(b, &b->tensors, TPR_FMT_TENSOR_SIZE, 1, NULL);
  if (!r) FAIL(b, TPR_ERR_ARENA);
  wr_u8(r + TPR_FMT_TENSOR_DTYPE, TPR_DTYPE_INT8);
  wr_u8(r + TPR_FMT_TENSOR_RANK, (uint32_t)t->rank);
  for (int i = 0; i < t->rank; ++i) wr_u32(r + TPR_FMT_TENSOR_DIMS + 4 * i, (uint32_t)t->dims[i]);
  uint32_t bits;
  memcpy(&bits, &t->scale, 4);
  wr_u32(r + TPR_FMT_TENSOR_SCALE, bits);
  wr_u32(r + TPR_FMT_TENSOR_ZERO_POINT, (uint32_t)t->zero_point);
  *id = (uint16_t)b->num_tensors++;
  return TPR_OK;
}

tpr_status tpr_builder_set_io(tpr_builder* b, const uint16_t* inputs, size_t num_inputs,
                              const uint16_t* outputs, size_t num_outputs) {
  STICKY(b);
  if (!inputs || !outputs || num_inputs < 1 || num_inputs > TPR_FMT_MAX_IO || num_outputs < 1 ||
      num_outputs > TPR_FMT_MAX_IO)
    FAIL(b, TPR_ERR_ARG);
  for (size_t i = 0; i < num_inputs; ++i) {
    if (inputs[i] >= b->num_tensors) FAIL(b, TPR_ERR_ARG);
    b->inputs[i] = inputs[i];
  }
  for (size_t i = 0; i < num_outputs; ++i) {
    if (outputs[i] >= b->num_tensors) FAIL(b, TPR_ERR_ARG);
    b->outputs[i] = outputs[i];
  }
  b->num_inputs = (uint16_t)num_inputs;
  b->num_outputs = (uint16_t)num_outputs;
  return TPR_OK;
}

/* ---- DATA arrays -------------------------------------------------------------------------- */
/* Append an array of n bytes (16-aligned, followed by `pad` zero bytes); returns its offset. */
static uint8_t* data_array(tpr_builder* b, size_t n, size_t pad, uint32_t* off) {
  size_t o;
  uint8_t* p = bb_grow(b, &b->data, n + pad, TPR_FMT_ALIGN, &o);
  if (!p || o + n + pad > 0xFFFFFFF0u) return NULL;
  *off = (uint32_t)o;
  return p;
}

static int act_ok(int32_t lo, int32_t hi) { return lo >= -128 && lo <= hi && hi <= 127; }

static tpr_status write_quant(tpr_builder* b, uint8_t* w, int32_t cout, const int32_t* bias,
                              const int32_t* mult, const int32_t* shift) {
  uint32_t bo, mo, so;
  for (int32_t o = 0; o < cout; ++o) {
    if (mult[o] < 0 || shift[o] < -31 || shift[o] > 30) return TPR_ERR_ARG;
    if (bias && (bias[o] < -TPR_FMT_MAX_ABS_BIAS || bias[o] > TPR_FMT_MAX_ABS_BIAS)) return TPR_ERR_ARG;
  }
  uint8_t* p = data_array(b, 4u * (size_t)cout, 0, &bo);
  if (!p) return TPR_ERR_ARENA;
  for (int32_t o = 0; o < cout; ++o) wr_u32(p + 4 * o, bias ? (uint32_t)bias[o] : 0u);
  p = data_array(b, 4u * (size_t)cout, 0, &mo);
  if (!p) return TPR_ERR_ARENA;
  for (int32_t o = 0; o < cout; ++o) wr_u32(p + 4 * o, (uint32_t)mult[o]);
  p = data_array(b, (size_t)cout, 0, &so);
  if (!p) return TPR_ERR_ARENA;
  for (int32_t o = 0; o < cout; ++o) p[o] = (uint8_t)(int8_t)shift[o];
  /* w may have moved? no: weight records live in b->weights, not b->data */
  wr_u32(w + TPR_FMT_W_BIAS_OFF, bo);
  wr_u32(w + TPR_FMT_W_MULT_OFF, mo);
  wr_u32(w + TPR_FMT_W_SHIFT_OFF, so);
  return TPR_OK;
}

/* entry i of an index array with 4-bit (packed, low nibble first), 8-, 16- or 32-bit entries */
static void put_index(uint8_t* a, uint32_t bits, uint32_t i, uint32_t v) {
  if (bits == 4) a[i >> 1] = (uint8_t)((i & 1u) ? ((a[i >> 1] & 0x0Fu) | (v << 4)) : ((a[i >> 1] & 0xF0u) | v));
  else if (bits == 8) a[i] = (uint8_t)v;
  else if (bits == 16) wr_u16(a + 2u * i, v);
  else wr_u32(a + 4u * (size_t)i, v);
}

static void set_bit(uint8_t* a, uint64_t bit) {
  a[bit >> 3] = (uint8_t)(a[bit >> 3] | (1u << (bit & 7u)));
}

tpr_status tpr_builder_weight_stats(int layout, int32_t cout, int32_t kh, int32_t kw, int32_t cin,
                                    uint32_t nkept, tpr_storage storage, tpr_weight_stats* stats) {
  if (!stats || cout < 1 || kh < 1 || kw < 1 || cin < 1 || kh > 65535 || kw > 65535 ||
      (layout != TPR_LAYOUT_OHWI && layout != TPR_LAYOUT_1HWO))
    return TPR_ERR_ARG;
  const uint64_t taps = (uint64_t)kh * (uint64_t)kw;
  const uint64_t dense_bytes = (uint64_t)cout * taps * (uint64_t)cin;
  if (dense_bytes > 0x7FFFFFFFu) return TPR_ERR_ARG;
  if (layout == TPR_LAYOUT_1HWO) nkept = (uint32_t)((uint64_t)cout * taps);
  if ((uint64_t)nkept > (uint64_t)cout * taps) return TPR_ERR_ARG;
  if (storage != TPR_STORAGE_AUTO && storage != TPR_STORAGE_DENSE && storage != TPR_STORAGE_FWCS &&
      storage != TPR_STORAGE_FWCS_CSR && storage != TPR_STORAGE_FWCS_MASK &&
      storage != TPR_STORAGE_FWCS_EF)
    return TPR_ERR_ARG;
  /* the three FWCS index kinds (FORMAT.md 7.2): CSR = row pointers + positions, MASK = one bit
   * per filterlet slot, EF = Elias-Fano code of the kept slot numbers (nkept >= 1 only); the
   * smallest one is used, ties resolved CSR, then MASK, then EF (a tie keeps the kind older
   * writers chose), unless the caller forces one */
  const uint64_t u = (uint64_t)cout * taps;
  const uint32_t csr_rpb = nkept <= 0xFFu ? 1u : (nkept <= 0xFFFFu ? 2u : 4u);
  const uint32_t csr_pbits = taps <= 16u ? 4u : (taps <= 256u ? 8u : (taps <= 65536u ? 16u : 32u));
  const uint64_t csr_bytes = ((uint64_t)cout + 1) * csr_rpb + ((uint64_t)nkept * csr_pbits + 7u) / 8u;
  const uint64_t mask_bytes = (u + 7u) / 8u;
  const int ef_ok = nkept >= 1 && u <= 0xFFFFFFFFu &&
                    tpr_fmt_ef_bits((uint32_t)u, nkept) <= 0xFFFFFFFFu;
  const uint64_t ef_bytes = ef_ok ? tpr_fmt_ef_bytes((uint32_t)u, nkept) : UINT64_MAX;
  if (storage == TPR_STORAGE_FWCS_EF && !ef_ok && layout == TPR_LAYOUT_OHWI) return TPR_ERR_ARG;
  enum { CSR, MASK, EF } ix = CSR;
  if (storage == TPR_STORAGE_FWCS_MASK) ix = MASK;
  else if (storage == TPR_STORAGE_FWCS_EF) ix = EF;
  else if (storage != TPR_STORAGE_FWCS_CSR) {
    if (mask_bytes < csr_bytes) ix = MASK;
    if (ef_bytes < (ix == MASK ? mask_bytes : csr_bytes)) ix = EF;
  }
  const uint32_t rpb = ix == CSR    ? csr_rpb
                       : ix == MASK ? TPR_FMT_FWCS_MASK_ROW_PTR_BYTES
                                    : TPR_FMT_FWCS_EF_ROW_PTR_BYTES;
  const uint32_t pbits = ix == CSR ? csr_pbits
                         : ix == MASK ? TPR_FMT_FWCS_MASK_POS_BITS : TPR_FMT_FWCS_EF_POS_BITS;
  const uint64_t index_bytes = ix == CSR ? csr_bytes : ix == MASK ? mask_bytes : ef_bytes;
  const uint64_t fwcs_bytes = (uint64_t)nkept * cin + index_bytes;
  const int fwcs = layout == TPR_LAYOUT_OHWI &&
                   (storage == TPR_STORAGE_FWCS || storage == TPR_STORAGE_FWCS_CSR ||
                    storage == TPR_STORAGE_FWCS_MASK || storage == TPR_STORAGE_FWCS_EF ||
                    (storage == TPR_STORAGE_AUTO && fwcs_bytes < dense_bytes));
  stats->kind = fwcs ? TPR_WEIGHTS_FWCS : TPR_WEIGHTS_DENSE;
  stats->nkept = fwcs ? nkept : (uint32_t)((uint64_t)cout * taps);
  stats->values_bytes = fwcs ? nkept * (uint32_t)cin : (uint32_t)dense_bytes;
  stats->index_bytes = fwcs ? (uint32_t)index_bytes : 0u;
  stats->quant_bytes = 9u * (uint32_t)cout;
  stats->dense_bytes = (uint32_t)dense_bytes;
  stats->row_ptr_bytes = fwcs ? (uint8_t)rpb : 0;
  stats->pos_bits = fwcs ? (uint8_t)pbits : 0;
  return TPR_OK;
}

/* Adds a weight record; returns its index via *wi. */
static tpr_status add_weights(tpr_builder* b, int layout, int32_t cout, int32_t kh, int32_t kw,
                              int32_t cin, const int8_t* weights, const uint8_t* keep,
                              tpr_storage storage, const int32_t* bias, const int32_t* mult,
                              const int32_t* shift, uint32_t* wi, tpr_weight_stats* stats) {
  if (!weights || !mult || !shift || cout < 1 || kh < 1 || kw < 1 || cin < 1 || kh > 65535 ||
      kw > 65535)
    return TPR_ERR_ARG;
  const uint64_t taps = (uint64_t)kh * (uint64_t)kw;
  if (taps * (uint64_t)cin > TPR_FMT_MAX_DOT_LEN) return TPR_ERR_ARG;
  if (b->num_weights >= TPR_FMT_MAX_OPS) return TPR_ERR_ARG;
  size_t woff;
  if (!bb_grow(b, &b->weights, TPR_FMT_W_SIZE, 1, &woff)) return TPR_ERR_ARENA;
  uint8_t* w = b->weights.data + woff;
  const uint64_t dense_bytes = (uint64_t)cout * taps * (uint64_t)cin;
  uint32_t nkept = 0;
  for (uint64_t f = 0; f < (uint64_t)cout * taps; ++f) nkept += (!keep || keep[f]) ? 1u : 0u;
  tpr_weight_stats plan;
  const tpr_status pst = tpr_builder_weight_stats(layout, cout, kh, kw, cin, nkept, storage, &plan);
  if (pst != TPR_OK) return pst;
  const uint32_t rpb = plan.row_ptr_bytes, pbits = plan.pos_bits;
  const int fwcs = plan.kind == TPR_WEIGHTS_FWCS;
  const int mask = fwcs && rpb == 0 && pbits == TPR_FMT_FWCS_MASK_POS_BITS;
  const int ef = fwcs && rpb == 0 && pbits == TPR_FMT_FWCS_EF_POS_BITS;
  const int rows = fwcs && rpb != 0; /* CSR: row pointers */
  const uint64_t pos_bytes = rows ? ((uint64_t)nkept * pbits + 7u) / 8u : plan.index_bytes;
  /* EF: low part at bit i*l, high part from bit n*l (tpr_format.h) */
  const uint64_t u = (uint64_t)cout * taps;
  const uint32_t ef_l = ef ? tpr_fmt_ef_low_bits((uint32_t)u, nkept) : 0u;
  const uint64_t ef_hi = (uint64_t)nkept * ef_l;
  wr_u8(w + TPR_FMT_W_LAYOUT, (uint32_t)layout);
  wr_u32(w + TPR_FMT_W_COUT, (uint32_t)cout);
  wr_u16(w + TPR_FMT_W_KH, (uint32_t)kh);
  wr_u16(w + TPR_FMT_W_KW, (uint32_t)kw);
  wr_u32(w + TPR_FMT_W_CIN, (uint32_t)cin);
  uint32_t vo, ro = 0, po = 0;
  uint32_t values_bytes, index_bytes = 0;
  if (!fwcs) {
    wr_u8(w + TPR_FMT_W_KIND, TPR_WEIGHTS_DENSE);
    uint8_t* v = data_array(b, (size_t)dense_bytes, TPR_FMT_VALUES_PAD, &vo);
    if (!v) return TPR_ERR_ARENA;
    w = b->weights.data + woff;
    for (uint64_t f = 0; f < (layout == TPR_LAYOUT_OHWI ? (uint64_t)cout * taps : 0); ++f) {
      const int kept = !keep || keep[f];
      for (int32_t c = 0; c < cin; ++c) v[f * cin + c] = kept ? (uint8_t)weights[f * cin + c] : 0;
    }
    if (layout == TPR_LAYOUT_1HWO) memcpy(v, weights, (size_t)dense_bytes);
    values_bytes = (uint32_t)dense_bytes;
  } else {
    wr_u8(w + TPR_FMT_W_KIND, TPR_WEIGHTS_FWCS);
    wr_u8(w + TPR_FMT_W_ROW_PTR_BYTES, rpb);
    wr_u8(w + TPR_FMT_W_POS_BITS, pbits);
    wr_u32(w + TPR_FMT_W_NKEPT, nkept);
    values_bytes = nkept * (uint32_t)cin;
    uint8_t* v = data_array(b, values_bytes, TPR_FMT_VALUES_PAD, &vo);
    if (!v) return TPR_ERR_ARENA;
    uint8_t* rp = NULL;
    if (rows && !data_array(b, ((size_t)cout + 1) * rpb, 0, &ro)) return TPR_ERR_ARENA;
    uint8_t* pos = data_array(b, (size_t)pos_bytes, 0, &po);
    if (!pos) return TPR_ERR_ARENA;
    v = b->data.data + vo; /* data may have moved */
    if (rows) rp = b->data.data + ro;
    w = b->weights.data + woff;
    uint32_t j = 0;
    for (int32_t o = 0; o < cout; ++o) {
      if (rows) put_index(rp, rpb * 8u, (uint32_t)o, j);
      for (uint32_t t = 0; t < taps; ++t) {
        const uint64_t f = (uint64_t)o * taps + t;
        if (keep && !keep[f]) continue;
        memcpy(v + (size_t)j * cin, weights + f * cin, (size_t)cin);
        if (mask) {
          set_bit(pos, f);
        } else if (ef) {
          for (uint32_t i = 0; i < ef_l; ++i)
            if ((f >> i) & 1u) set_bit(pos, (uint64_t)j * ef_l + i);
          set_bit(pos, ef_hi + (f >> ef_l) + j); /* after (f >> l) zeros in all: bit j + (f >> l) */
        } else {
          put_index(pos, pbits, j, t);
        }
        ++j;
      }
    }
    if (rows) put_index(rp, rpb * 8u, (uint32_t)cout, j);
    index_bytes = (uint32_t)(rows ? ((uint64_t)cout + 1) * rpb + pos_bytes : pos_bytes);
  }
  wr_u32(w + TPR_FMT_W_VALUES_OFF, vo);
  wr_u32(w + TPR_FMT_W_VALUES_LEN, values_bytes);
  wr_u32(w + TPR_FMT_W_ROW_PTR_OFF, ro);
  wr_u32(w + TPR_FMT_W_POS_OFF, po);
  tpr_status st = write_quant(b, w, cout, bias, mult, shift);
  if (st != TPR_OK) return st;
  (void)index_bytes; /* == plan.index_bytes */
  if (stats) *stats = plan;
  *wi = b->num_weights++;
  return TPR_OK;
}

/* ---- ops ---------------------------------------------------------------------------------- */
static uint8_t* new_op(tpr_builder* b, tpr_fmt_opcode code, uint16_t in0, uint16_t in1,
                       uint16_t out, uint32_t wi, int32_t act_min, int32_t act_max,
                       tpr_fmt_act act) {
  if (b->num_ops >= TPR_FMT_MAX_OPS || b->has_plan) return NULL;
  size_t off;
  uint8_t* op = bb_grow(b, &b->ops, TPR_FMT_OP_SIZE, 1, &off);
  if (!op) return NULL;
  wr_u8(op + TPR_FMT_OP_OPCODE, (uint32_t)code);
  wr_u8(op + TPR_FMT_OP_ACT, (uint32_t)act);
  wr_u16(op + TPR_FMT_OP_INPUT0, in0);
  wr_u16(op + TPR_FMT_OP_INPUT1, in1);
  wr_u16(op + TPR_FMT_OP_OUTPUT, out);
  wr_u16(op + TPR_FMT_OP_WEIGHTS, wi);
  wr_u16(op + TPR_FMT_OP_ACT_MIN, (uint32_t)(uint16_t)(int16_t)act_min);
  wr_u16(op + TPR_FMT_OP_ACT_MAX, (uint32_t)(uint16_t)(int16_t)act_max);
  b->num_ops++;
  return op;
}

static int spatial_ok(int32_t sh, int32_t sw, int32_t pt, int32_t pb, int32_t pl, int32_t pr,
                      int32_t kh, int32_t kw) {
  return sh >= 1 && sh <= 255 && sw >= 1 && sw <= 255 && pt >= 0 && pt < kh && pb >= 0 &&
         pb < kh && pl >= 0 && pl < kw && pr >= 0 && pr < kw && pt <= 255 && pb <= 255 &&
         pl <= 255 && pr <= 255;
}

static void set_spatial(uint8_t* op, int32_t sh, int32_t sw, int32_t pt, int32_t pb, int32_t pl,
                        int32_t pr) {
  wr_u8(op + TPR_FMT_OP_STRIDE_H, (uint32_t)sh);
  wr_u8(op + TPR_FMT_OP_STRIDE_W, (uint32_t)sw);
  wr_u8(op + TPR_FMT_OP_PAD_TOP, (uint32_t)pt);
  wr_u8(op + TPR_FMT_OP_PAD_BOTTOM, (uint32_t)pb);
  wr_u8(op + TPR_FMT_OP_PAD_LEFT, (uint32_t)pl);
  wr_u8(op + TPR_FMT_OP_PAD_RIGHT, (uint32_t)pr);
}

static int ids_ok(const tpr_builder* b, uint16_t a, uint16_t c) {
  return a < b->num_tensors && c < b->num_tensors && a != c;
}

static tpr_status add_conv_like(tpr_builder* b, const tpr_builder_conv* c, tpr_weight_stats* stats,
                                int depthwise) {
  STICKY(b);
  if (!c || !ids_ok(b, c->input, c->output) || !act_ok(c->act_min, c->act_max) ||
      !spatial_ok(c->stride_h, c->stride_w, c->pad_top, c->pad_bottom, c->pad_left, c->pad_right,
                  c->kh, c->kw))
    FAIL(b, TPR_ERR_ARG);
  if (depthwise && (c->cin < 1 || c->cout % c->cin != 0)) FAIL(b, TPR_ERR_ARG);
  uint32_t wi;
  tpr_status st = depthwise
      ? add_weights(b, TPR_LAYOUT_1HWO, c->cout, c->kh, c->kw, 1, c->weights, NULL,
                    TPR_STORAGE_DENSE, c->bias, c->multiplier, c->shift, &wi, stats)
      : add_weights(b, TPR_LAYOUT_OHWI, c->cout, c->kh, c->kw, c->cin, c->weights, c->keep,
                    c->storage, c->bias, c->multiplier, c->shift, &wi, stats);
  if (st != TPR_OK) FAIL(b, st);
  uint8_t* op = new_op(b, depthwise ? TPR_OP_DEPTHWISE_CONV2D : TPR_OP_CONV2D, c->input,
                       TPR_FMT_NONE, c->output, wi, c->act_min, c->act_max, c->act);
  if (!op) FAIL(b, TPR_ERR_ARENA);
  wr_u16(op + TPR_FMT_OP_GROUPS, depthwise ? (uint32_t)c->cin : 1u);
  set_spatial(op, c->stride_h, c->stride_w, c->pad_top, c->pad_bottom, c->pad_left, c->pad_right);
  if (!depthwise) {
    const uint32_t need = 4u * (uint32_t)(c->kh * c->kw * c->cin) + 64u;
    if (need > b->scratch_hint) b->scratch_hint = need;
  }
  return TPR_OK;
}

tpr_status tpr_builder_add_conv2d(tpr_builder* b, const tpr_builder_conv* c, tpr_weight_stats* s) {
  return add_conv_like(b, c, s, 0);
}

tpr_status tpr_builder_add_depthwise_conv2d(tpr_builder* b, const tpr_builder_conv* c,
                                            tpr_weight_stats* s) {
  return add_conv_like(b, c, s, 1);
}

tpr_status tpr_builder_add_fully_connected(tpr_builder* b, const tpr_builder_fc* f,
                                           tpr_weight_stats* stats) {
  STICKY(b);
  if (!f || !ids_ok(b, f->input, f->output) || !act_ok(f->act_min, f->act_max)) FAIL(b, TPR_ERR_ARG);
  uint32_t wi;
  tpr_status st = add_weights(b, TPR_LAYOUT_OHWI, f->out_features, 1, 1, f->in_features, f->weights,
                              NULL, TPR_STORAGE_DENSE, f->bias, f->multiplier, f->shift, &wi, stats);
  if (st != TPR_OK) FAIL(b, st);
  if (!new_op(b, TPR_OP_FULLY_CONNECTED, f->input, TPR_FMT_NONE, f->output, wi, f->act_min,
              f->act_max, f->act))
    FAIL(b, TPR_ERR_ARENA);
  return TPR_OK;
}

tpr_status tpr_builder_add_add(tpr_builder* b, const tpr_builder_add* a) {
  STICKY(b);
  if (!a || !ids_ok(b, a->input0, a->output) || !ids_ok(b, a->input1, a->output) ||
      !act_ok(a->act_min, a->act_max) || a->left_shift < 0 || a->left_shift > 22)
    FAIL(b, TPR_ERR_ARG);
  uint8_t* op = new_op(b, TPR_OP_ADD, a->input0, a->input1, a->output, TPR_FMT_NONE, a->act_min,
                       a->act_max, a->act);
  if (!op) FAIL(b, TPR_ERR_ARENA);
  const int32_t p[7] = {a->left_shift, a->input0_mult, a->input0_shift, a->input1_mult,
                        a->input1_shift, a->output_mult, a->output_shift};
  for (int i = 0; i < 7; ++i) wr_u32(op + TPR_FMT_OP_PARAMS + 4 * i, (uint32_t)p[i]);
  return TPR_OK;
}

static tpr_status add_pool(tpr_builder* b, const tpr_builder_pool* p, tpr_fmt_opcode code) {
  STICKY(b);
  if (!p || !ids_ok(b, p->input, p->output) || !act_ok(p->act_min, p->act_max) ||
      p->kernel_h < 1 || p->kernel_h > 255 || p->kernel_w < 1 || p->kernel_w > 255 ||
      !spatial_ok(p->stride_h, p->stride_w, p->pad_top, p->pad_bottom, p->pad_left, p->pad_right,
                  p->kernel_h, p->kernel_w))
    FAIL(b, TPR_ERR_ARG);
  uint8_t* op = new_op(b, code, p->input, TPR_FMT_NONE, p->output, TPR_FMT_NONE, p->act_min,
                       p->act_max, TPR_ACT_NONE);
  if (!op) FAIL(b, TPR_ERR_ARENA);
  set_spatial(op, p->stride_h, p->stride_w, p->pad_top, p->pad_bottom, p->pad_left, p->pad_right);
  wr_u8(op + TPR_FMT_OP_KERNEL_H, (uint32_t)p->kernel_h);
  wr_u8(op + TPR_FMT_OP_KERNEL_W, (uint32_t)p->kernel_w);
  return TPR_OK;
}

tpr_status tpr_builder_add_max_pool(tpr_builder* b, const tpr_builder_pool* p) {
  return add_pool(b, p, TPR_OP_MAX_POOL);
}
tpr_status tpr_builder_add_avg_pool(tpr_builder* b, const tpr_builder_pool* p) {
  return add_pool(b, p, TPR_OP_AVG_POOL);
}

tpr_status tpr_builder_add_global_avg_pool(tpr_builder* b, const tpr_builder_gap* g) {
  STICKY(b);
  if (!g || !ids_ok(b, g->input, g->output) || !act_ok(g->act_min, g->act_max) ||
      g->multiplier < 0 || g->shift < -31 || g->shift > 30)
    FAIL(b, TPR_ERR_ARG);
  uint8_t* op = new_op(b, TPR_OP_GLOBAL_AVG_POOL, g->input, TPR_FMT_NONE, g->output, TPR_FMT_NONE,
                       g->act_min, g->act_max, TPR_ACT_NONE);
  if (!op) FAIL(b, TPR_ERR_ARENA);
  wr_u32(op + TPR_FMT_OP_PARAMS + 4 * TPR_FMT_P_GAP_MULT, (uint32_t)g->multiplier);
  wr_u32(op + TPR_FMT_OP_PARAMS + 4 * TPR_FMT_P_GAP_SHIFT, (uint32_t)g->shift);
  return TPR_OK;
}

tpr_status tpr_builder_add_reshape(tpr_builder* b, uint16_t input, uint16_t output) {
  STICKY(b);
  if (!ids_ok(b, input, output)) FAIL(b, TPR_ERR_ARG);
  if (!new_op(b, TPR_OP_RESHAPE, input, TPR_FMT_NONE, output, TPR_FMT_NONE, -128, 127,
              TPR_ACT_NONE))
    FAIL(b, TPR_ERR_ARENA);
  return TPR_OK;
}

/* ---- memory plan ---------------------------------------------------------------------------- */
tpr_status tpr_builder_set_plan(tpr_builder* b, uint32_t arena_size, const uint32_t* offsets,
                                size_t num_tensors) {
  STICKY(b);
  if (!offsets || num_tensors != b->num_tensors) FAIL(b, TPR_ERR_ARG);
  b->plan.size = 0;
  uint8_t* p = bb_grow(b, &b->plan, 4u * num_tensors, 1, NULL);
  if (!p && num_tensors) FAIL(b, TPR_ERR_ARENA);
  for (size_t t = 0; t < num_tensors; ++t) wr_u32(p + 4 * t, offsets[t]);
  b->arena_size = arena_size;
  b->has_plan = 1;
  return TPR_OK;
}

/* Greedy first-fit over tensor lifetimes [def, last] (op indices; inputs def -1, outputs last end). */
static tpr_status auto_plan(tpr_builder* b) {
  const uint32_t nt = b->num_tensors, no = b->num_ops;
  size_t bytes = (size_t)nt * 3u * sizeof(int64_t);
  int64_t* tmp = (int64_t*)b->realloc_fn(b->ctx, NULL, bytes ? bytes : 8);
  if (!tmp) return TPR_ERR_ARENA;
  int64_t *def = tmp, *last = tmp + nt, *off = tmp + 2 * (size_t)nt;
  for (uint32_t t = 0; t < nt; ++t) { def[t] = INT64_MAX; last[t] = -2; off[t] = -1; }
  for (uint16_t k = 0; k < b->num_inputs; ++k) def[b->inputs[k]] = -1;
  for (uint32_t i = 0; i < no; ++i) {
    const uint8_t* op = b->ops.data + (size_t)i * TPR_FMT_OP_SIZE;
    const uint32_t in0 = rd_u16(op + TPR_FMT_OP_INPUT0), in1 = rd_u16(op + TPR_FMT_OP_INPUT1);
    const uint32_t out = rd_u16(op + TPR_FMT_OP_OUTPUT);
    if (def[out] > (int64_t)i) def[out] = i;
    if (last[out] < (int64_t)i) last[out] = i;
    if (last[in0] < (int64_t)i) last[in0] = i;
    if (in1 != TPR_FMT_NONE && last[in1] < (int64_t)i) last[in1] = i;
  }
  for (uint16_t k = 0; k < b->num_outputs; ++k) last[b->outputs[k]] = no;
  uint64_t arena = 0;
  /* place in order of definition (stable by id) */
  for (int64_t d = -1; d < (int64_t)no; ++d)
    for (uint32_t t = 0; t < nt; ++t) {
      if (def[t] != d) continue;
      if (last[t] < def[t]) last[t] = def[t];
      const uint64_t size = tensor_numel(b, (uint16_t)t);
      uint64_t cand = 0;
      for (;;) { /* bump past every conflicting placed tensor until stable */
        int moved = 0;
        for (uint32_t u = 0; u < nt; ++u) {
          if (off[u] < 0 || last[u] < def[t] || last[t] < def[u]) continue;
          const uint64_t uo = (uint64_t)off[u], ue = uo + tensor_numel(b, (uint16_t)u);
          if (cand < ue && uo < cand + size) { cand = (ue + 15u) & ~(uint64_t)15u; moved = 1; }
        }
        if (!moved) break;
      }
      off[t] = (int64_t)cand;
      if (cand + size > arena) arena = cand + size;
    }
  b->plan.size = 0;
  uint8_t* p = bb_grow(b, &b->plan, 4u * (size_t)nt, 1, NULL);
  if (!p) { b->realloc_fn(b->ctx, tmp, 0); return TPR_ERR_ARENA; }
  for (uint32_t t = 0; t < nt; ++t) wr_u32(p + 4 * t, off[t] < 0 ? 0u : (uint32_t)off[t]);
  b->realloc_fn(b->ctx, tmp, 0);
  if (arena > 0xFFFFFFF0u) return TPR_ERR_ARG;
  b->arena_size = (uint32_t)((arena + 15u) & ~(uint64_t)15u);
  b->has_plan = 1;
  return TPR_OK;
}

/* ---- serialization -------------------------------------------------------------------------- */
#define NSEC 6u
static size_t a16(size_t x) { return (x + 15u) & ~(size_t)15u; }

static void section_sizes(const tpr_builder* b, size_t len[NSEC + 1]) {
  len[TPR_SEC_MODEL] = TPR_FMT_MODEL_FIXED_SIZE + 2u * (b->num_inputs + b->num_outputs);
  len[TPR_SEC_TENSORS] = b->tensors.size;
  len[TPR_SEC_OPS] = b->ops.size;
  len[TPR_SEC_WEIGHTS] = b->weights.size;
  len[TPR_SEC_PLAN] = TPR_FMT_PLAN_FIXED_SIZE + 4u * (size_t)b->num_tensors;
  len[TPR_SEC_DATA] = a16(b->data.size);
}

static tpr_status prepare(tpr_builder* b, size_t* total) {
  STICKY(b);
  if (b->num_inputs == 0 || b->num_outputs == 0 || b->num_ops == 0) FAIL(b, TPR_ERR_ARG);
  if (!b->has_plan) {
    tpr_status st = auto_plan(b);
    if (st != TPR_OK) FAIL(b, st);
  }
  size_t len[NSEC + 1];
  section_sizes(b, len);
  size_t t = TPR_FMT_HEADER_SIZE + NSEC * TPR_FMT_SEC_ENTRY_SIZE;
  for (uint32_t id = 1; id <= NSEC; ++id) t = a16(t) + len[id];
  if (t > 0xFFFFFFF0u) FAIL(b, TPR_ERR_ARG);
  *total = a16(t);
  return TPR_OK;
}

tpr_status tpr_builder_blob_size(tpr_builder* b, size_t* bytes) {
  if (!bytes) return TPR_ERR_ARG;
  return prepare(b, bytes);
}

tpr_status tpr_builder_write(tpr_builder* b, void* out, size_t capacity, size_t* written) {
  size_t total;
  if (!out || !written) return TPR_ERR_ARG;
  tpr_status st = prepare(b, &total);
  if (st != TPR_OK) return st;
  if (capacity < total) return TPR_ERR_ARENA;
  uint8_t* o = (uint8_t*)out;
  memset(o, 0, total);
  size_t len[NSEC + 1], off[NSEC + 1];
  section_sizes(b, len);
  size_t pos = TPR_FMT_HEADER_SIZE + NSEC * TPR_FMT_SEC_ENTRY_SIZE;
  for (uint32_t id = 1; id <= NSEC; ++id) {
    pos = a16(pos);
    off[id] = pos;
    pos += len[id];
    uint8_t* e = o + TPR_FMT_HEADER_SIZE + (id - 1) * TPR_FMT_SEC_ENTRY_SIZE;
    wr_u32(e + TPR_FMT_SEC_ID, id);
    wr_u32(e + TPR_FMT_SEC_OFFSET, (uint32_t)off[id]);
    wr_u32(e + TPR_FMT_SEC_LENGTH, (uint32_t)len[id]);
  }
  uint8_t* m = o + off[TPR_SEC_MODEL];
  wr_u32(m + TPR_FMT_MODEL_NUM_TENSORS, b->num_tensors);
  wr_u32(m + TPR_FMT_MODEL_NUM_OPS, b->num_ops);
  wr_u32(m + TPR_FMT_MODEL_NUM_WEIGHTS, b->num_weights);
  wr_u16(m + TPR_FMT_MODEL_NUM_INPUTS, b->num_inputs);
  wr_u16(m + TPR_FMT_MODEL_NUM_OUTPUTS, b->num_outputs);
  for (uint32_t k = 0; k < b->num_inputs; ++k) wr_u16(m + TPR_FMT_MODEL_FIXED_SIZE + 2 * k, b->inputs[k]);
  for (uint32_t k = 0; k < b->num_outputs; ++k)
    wr_u16(m + TPR_FMT_MODEL_FIXED_SIZE + 2u * (b->num_inputs + k), b->outputs[k]);
  if (b->tensors.size) memcpy(o + off[TPR_SEC_TENSORS], b->tensors.data, b->tensors.size);
  if (b->ops.size) memcpy(o + off[TPR_SEC_OPS], b->ops.data, b->ops.size);
  if (b->weights.size) memcpy(o + off[TPR_SEC_WEIGHTS], b->weights.data, b->weights.size);
  uint8_t* p = o + off[TPR_SEC_PLAN];
  wr_u32(p + TPR_FMT_PLAN_ARENA_SIZE, b->arena_size);
  wr_u32(p + TPR_FMT_PLAN_SCRATCH_HINT, b->scratch_hint);
  wr_u32(p + TPR_FMT_PLAN_NUM_TENSORS, b->num_tensors);
  if (b->plan.size) memcpy(p + TPR_FMT_PLAN_OFFSETS, b->plan.data, b->plan.size);
  if (b->data.size) memcpy(o + off[TPR_SEC_DATA], b->data.data, b->data.size);
  o[0] = TPR_FMT_MAGIC0; o[1] = TPR_FMT_MAGIC1; o[2] = TPR_FMT_MAGIC2; o[3] = TPR_FMT_MAGIC3;
  wr_u16(o + TPR_FMT_HDR_VERSION, TPR_FMT_VERSION);
  wr_u16(o + TPR_FMT_HDR_HEADER_SIZE, TPR_FMT_HEADER_SIZE);
  wr_u32(o + TPR_FMT_HDR_TOTAL_SIZE, (uint32_t)total);
  wr_u32(o + TPR_FMT_HDR_SECTION_COUNT, NSEC);
  wr_u32(o + TPR_FMT_HDR_SECTION_TABLE, TPR_FMT_HEADER_SIZE);
  wr_u32(o + TPR_FMT_HDR_CRC32, tpr_crc32(0, o + TPR_FMT_CRC_START, total - TPR_FMT_CRC_START));
  *written = total;
  return TPR_OK;
}

tpr_status tpr_quantize_multiplier(double real, int32_t* multiplier, int32_t* shift) {
  if (!multiplier || !shift || !(real >= 0.0) || !isfinite(real)) return TPR_ERR_ARG;
  if (real == 0.0) { *multiplier = 0; *shift = 0; return TPR_OK; }
  int e;
  const double q = frexp(real, &e); /* real = q * 2^e, q in [0.5, 1) */
  int64_t qf = (int64_t)llround(q * 2147483648.0);
  if (qf == ((int64_t)1 << 31)) { qf /= 2; ++e; }
  if (e < -31) { qf = 0; e = 0; }
  if (e > 30) { e = 30; qf = INT32_MAX; }
  *multiplier = (int32_t)qf;
  *shift = e;
  return TPR_OK;
}
