/* Blob validation and model preparation (tpr_arena_size, tpr_model_init). See tpr.h.
 *
 * Order of checks: arguments -> header (magic, version, sizes) -> CRC -> section table ->
 * MODEL/TENSORS/PLAN -> WEIGHTS (bounds, index arrays, quant params) -> OPS (ids, shapes, params)
 * -> graph topology (single assignment, defined before use) -> memory plan (no live overlap) ->
 * arena fit. Every offset/length is checked with 64-bit arithmetic against the blob size before
 * any access; nothing is read outside [blob, blob + total_size). */
#include <string.h>

#include "tpr_internal.h"

typedef struct {
  const uint8_t* b;
  uint32_t total;
  const uint8_t* sec[TPR_SEC_DATA + 1];
  uint32_t sec_len[TPR_SEC_DATA + 1];
  uint32_t num_tensors, num_ops, num_weights, num_inputs, num_outputs;
  uint32_t arena_size;
  uint64_t scratch;
} tpr_blob;

#define CHECK(cond)                                                     \
  do {                                                                  \
    if (!(cond)) {                                                      \
      TPR_LOG("tpr: invalid blob: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      return TPR_ERR_CORRUPT;                                           \
    }                                                                   \
  } while (0)
#define TRY(expr) do { tpr_status s_ = (expr); if (s_ != TPR_OK) return s_; } while (0)

static const uint8_t* tensor_rec(const tpr_blob* B, uint32_t t) {
  return B->sec[TPR_SEC_TENSORS] + (size_t)t * TPR_FMT_TENSOR_SIZE;
}
static const uint8_t* op_rec(const tpr_blob* B, uint32_t i) {
  return B->sec[TPR_SEC_OPS] + (size_t)i * TPR_FMT_OP_SIZE;
}
static const uint8_t* weight_rec(const tpr_blob* B, uint32_t w) {
  return B->sec[TPR_SEC_WEIGHTS] + (size_t)w * TPR_FMT_W_SIZE;
}
static uint32_t tensor_offset(const tpr_blob* B, uint32_t t) {
  return tpr_rd_u32(B->sec[TPR_SEC_PLAN] + TPR_FMT_PLAN_OFFSETS + 4u * (size_t)t);
}
static uint32_t tensor_rank(const tpr_blob* B, uint32_t t) {
  return tpr_rd_u8(tensor_rec(B, t) + TPR_FMT_TENSOR_RANK);
}
static uint32_t tensor_dim(const tpr_blob* B, uint32_t t, uint32_t i) {
  return tpr_rd_u32(tensor_rec(B, t) + TPR_FMT_TENSOR_DIMS + 4u * i);
}
/* valid after check_tensors(): product of dims <= INT32_MAX */
static uint32_t tensor_numel(const tpr_blob* B, uint32_t t) {
  uint32_t n = 1, r = tensor_rank(B, t);
  for (uint32_t i = 0; i < r; ++i) n *= tensor_dim(B, t, i);
  return n;
}
static int32_t tensor_zp(const tpr_blob* B, uint32_t t) {
  return tpr_rd_i32(tensor_rec(B, t) + TPR_FMT_TENSOR_ZERO_POINT);
}
static int same_quant(const tpr_blob* B, uint32_t a, uint32_t b) {
  return tpr_rd_u32(tensor_rec(B, a) + TPR_FMT_TENSOR_SCALE) ==
             tpr_rd_u32(tensor_rec(B, b) + TPR_FMT_TENSOR_SCALE) &&
         tensor_zp(B, a) == tensor_zp(B, b);
}
static int get_dims4(const tpr_blob* B, uint32_t t, tpr_dims* d) {
  if (tensor_rank(B, t) != 4) return 0;
  d->n = (int32_t)tensor_dim(B, t, 0);
  d->h = (int32_t)tensor_dim(B, t, 1);
  d->w = (int32_t)tensor_dim(B, t, 2);
  d->c = (int32_t)tensor_dim(B, t, 3);
  return 1;
}
/* [off, off+len) inside the DATA section */
static int in_data(const tpr_blob* B, uint64_t off, uint64_t len) {
  return off <= B->sec_len[TPR_SEC_DATA] && len <= B->sec_len[TPR_SEC_DATA] - off;
}

/* ---- header and sections ------------------------------------------------------------------ */
static tpr_status parse_header(const uint8_t* b, size_t size, uint32_t flags, tpr_blob* B) {
  memset(B, 0, sizeof *B);
  if (!b) return TPR_ERR_ARG;
  if (((uintptr_t)b & 3u) != 0) return TPR_ERR_ARG;
  CHECK(size >= TPR_FMT_HEADER_SIZE);
  CHECK(tpr_rd_u32(b + TPR_FMT_HDR_MAGIC) == TPR_FMT_MAGIC_U32);
  if (tpr_rd_u16(b + TPR_FMT_HDR_VERSION) != TPR_FMT_VERSION) return TPR_ERR_VERSION;
  CHECK(tpr_rd_u16(b + TPR_FMT_HDR_HEADER_SIZE) == TPR_FMT_HEADER_SIZE);
  if (tpr_rd_u32(b + TPR_FMT_HDR_FLAGS) != 0) return TPR_ERR_UNSUPPORTED;
  const uint32_t total = tpr_rd_u32(b + TPR_FMT_HDR_TOTAL_SIZE);
  CHECK(total >= TPR_FMT_HEADER_SIZE && total <= size);
  if (!(flags & TPR_INIT_SKIP_CRC))
    CHECK(tpr_crc32(0, b + TPR_FMT_CRC_START, total - TPR_FMT_CRC_START) ==
          tpr_rd_u32(b + TPR_FMT_HDR_CRC32));
  CHECK(tpr_rd_u32(b + TPR_FMT_HDR_RESERVED) == 0);
  const uint32_t count = tpr_rd_u32(b + TPR_FMT_HDR_SECTION_COUNT);
  const uint32_t table = tpr_rd_u32(b + TPR_FMT_HDR_SECTION_TABLE);
  CHECK(count >= 1 && count <= TPR_FMT_MAX_SECTIONS);
  CHECK(table >= TPR_FMT_HEADER_SIZE && table % 4u == 0);
  const uint64_t table_end = (uint64_t)table + (uint64_t)count * TPR_FMT_SEC_ENTRY_SIZE;
  CHECK(table_end <= total);
  B->b = b;
  B->total = total;
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* e = b + table + i * TPR_FMT_SEC_ENTRY_SIZE;
    const uint32_t id = tpr_rd_u32(e + TPR_FMT_SEC_ID);
    const uint32_t off = tpr_rd_u32(e + TPR_FMT_SEC_OFFSET);
    const uint32_t len = tpr_rd_u32(e + TPR_FMT_SEC_LENGTH);
    CHECK(tpr_rd_u32(e + TPR_FMT_SEC_RESERVED) == 0);
    CHECK(off % TPR_FMT_ALIGN == 0 && off >= table_end && off <= total && len <= total - off);
    if (id >= TPR_SEC_MODEL && id <= TPR_SEC_DATA) {
      CHECK(B->sec[id] == NULL); /* duplicate */
      B->sec[id] = b + off;
      B->sec_len[id] = len;
    } /* unknown ids: ignored (forward compatible) */
  }
  for (uint32_t id = TPR_SEC_MODEL; id <= TPR_SEC_DATA; ++id) CHECK(B->sec[id] != NULL);
  return TPR_OK;
}

static tpr_status parse_model(tpr_blob* B) {
  const uint8_t* m = B->sec[TPR_SEC_MODEL];
  CHECK(B->sec_len[TPR_SEC_MODEL] >= TPR_FMT_MODEL_FIXED_SIZE);
  B->num_tensors = tpr_rd_u32(m + TPR_FMT_MODEL_NUM_TENSORS);
  B->num_ops = tpr_rd_u32(m + TPR_FMT_MODEL_NUM_OPS);
  B->num_weights = tpr_rd_u32(m + TPR_FMT_MODEL_NUM_WEIGHTS);
  B->num_inputs = tpr_rd_u16(m + TPR_FMT_MODEL_NUM_INPUTS);
  B->num_outputs = tpr_rd_u16(m + TPR_FMT_MODEL_NUM_OUTPUTS);
  for (uint32_t i = 16; i < TPR_FMT_MODEL_FIXED_SIZE; i += 4) CHECK(tpr_rd_u32(m + i) == 0);
  CHECK(B->num_tensors >= 1 && B->num_tensors <= TPR_FMT_MAX_TENSORS);
  CHECK(B->num_ops >= 1 && B->num_ops <= TPR_FMT_MAX_OPS);
  CHECK(B->num_weights <= TPR_FMT_MAX_OPS);
  CHECK(B->num_inputs >= 1 && B->num_inputs <= TPR_FMT_MAX_IO);
  CHECK(B->num_outputs >= 1 && B->num_outputs <= TPR_FMT_MAX_IO);
  CHECK(B->sec_len[TPR_SEC_MODEL] ==
        TPR_FMT_MODEL_FIXED_SIZE + 2u * (B->num_inputs + B->num_outputs));
  CHECK((uint64_t)B->sec_len[TPR_SEC_TENSORS] == (uint64_t)B->num_tensors * TPR_FMT_TENSOR_SIZE);
  CHECK((uint64_t)B->sec_len[TPR_SEC_OPS] == (uint64_t)B->num_ops * TPR_FMT_OP_SIZE);
  CHECK((uint64_t)B->sec_len[TPR_SEC_WEIGHTS] == (uint64_t)B->num_weights * TPR_FMT_W_SIZE);
  CHECK((uint64_t)B->sec_len[TPR_SEC_PLAN] ==
        TPR_FMT_PLAN_FIXED_SIZE + 4ull * (uint64_t)B->num_tensors);
  if (B->num_ops > TPR_RT_MAX_OPS) return TPR_ERR_UNSUPPORTED;
  for (uint32_t i = 0; i < B->num_inputs + B->num_outputs; ++i)
    CHECK(tpr_rd_u16(m + TPR_FMT_MODEL_FIXED_SIZE + 2u * i) < B->num_tensors);
  for (uint32_t i = 0; i < B->num_inputs; ++i) /* distinct inputs */
    for (uint32_t j = 0; j < i; ++j)
      CHECK(tpr_rd_u16(m + TPR_FMT_MODEL_FIXED_SIZE + 2u * i) !=
            tpr_rd_u16(m + TPR_FMT_MODEL_FIXED_SIZE + 2u * j));
  return TPR_OK;
}

static tpr_status check_tensors(tpr_blob* B) {
  const uint8_t* plan = B->sec[TPR_SEC_PLAN];
  B->arena_size = tpr_rd_u32(plan + TPR_FMT_PLAN_ARENA_SIZE);
  CHECK(tpr_rd_u32(plan + TPR_FMT_PLAN_NUM_TENSORS) == B->num_tensors);
  CHECK(tpr_rd_u32(plan + TPR_FMT_PLAN_RESERVED) == 0);
  for (uint32_t t = 0; t < B->num_tensors; ++t) {
    const uint8_t* r = tensor_rec(B, t);
    CHECK(tpr_rd_u8(r + TPR_FMT_TENSOR_DTYPE) == TPR_DTYPE_INT8);
    const uint32_t rank = tpr_rd_u8(r + TPR_FMT_TENSOR_RANK);
    CHECK(rank >= 1 && rank <= 4);
    CHECK(tpr_rd_u16(r + TPR_FMT_TENSOR_RESERVED0) == 0);
    CHECK(tpr_rd_u32(r + TPR_FMT_TENSOR_RESERVED1) == 0);
    uint64_t numel = 1;
    for (uint32_t i = 0; i < 4; ++i) {
      const uint32_t d = tpr_rd_u32(r + TPR_FMT_TENSOR_DIMS + 4u * i);
      if (i < rank) {
        CHECK(d >= 1);
        numel *= d;
        CHECK(numel <= 0x7FFFFFFFu);
      } else {
        CHECK(d == 0);
      }
    }
    const uint32_t scale = tpr_rd_u32(r + TPR_FMT_TENSOR_SCALE);
    CHECK((scale >> 31) == 0 && ((scale >> 23) & 0xFFu) != 0xFFu && scale != 0);
    const int32_t zp = tpr_rd_i32(r + TPR_FMT_TENSOR_ZERO_POINT);
    CHECK(zp >= -128 && zp <= 127);
    const uint32_t off = tensor_offset(B, t);
    CHECK(off % 4u == 0 && (uint64_t)off + numel <= B->arena_size);
  }
  return TPR_OK;
}

/* ---- weights ------------------------------------------------------------------------------ */
static tpr_status check_quant_arrays(const tpr_blob* B, const uint8_t* w, uint32_t cout) {
  const uint32_t bo = tpr_rd_u32(w + TPR_FMT_W_BIAS_OFF);
  const uint32_t mo = tpr_rd_u32(w + TPR_FMT_W_MULT_OFF);
  const uint32_t so = tpr_rd_u32(w + TPR_FMT_W_SHIFT_OFF);
  CHECK(bo % TPR_FMT_ALIGN == 0 && mo % TPR_FMT_ALIGN == 0 && so % TPR_FMT_ALIGN == 0);
  CHECK(in_data(B, bo, 4ull * cout) && in_data(B, mo, 4ull * cout) && in_data(B, so, cout));
  const uint8_t* d = B->sec[TPR_SEC_DATA];
  for (uint32_t o = 0; o < cout; ++o) {
    const int32_t bias = tpr_rd_i32(d + bo + 4u * o);
    CHECK(bias >= -TPR_FMT_MAX_ABS_BIAS && bias <= TPR_FMT_MAX_ABS_BIAS);
    CHECK(tpr_rd_i32(d + mo + 4u * o) >= 0);
    const int32_t sh = (int8_t)d[so + o];
    CHECK(sh >= -31 && sh <= 30);
  }
  return TPR_OK;
}

static uint32_t bit_at(const uint8_t* s, uint64_t b) { return (s[b >> 3] >> (b & 7u)) & 1u; }

/* FWCS EF index (format 1.2): the tpr_fmt_ef_bytes(u, n) bytes at s (already bounds-checked)
 * hold exactly n ones in the high part, decode to strictly increasing slot numbers < u, and the
 * unused bits of the last byte are 0. Bit by bit: once per blob, nothing past the stream. */
static tpr_status check_ef(const uint8_t* s, uint32_t u, uint32_t n) {
  const uint32_t l = tpr_fmt_ef_low_bits(u, n);
  const uint64_t low_end = (uint64_t)n * l, bits = tpr_fmt_ef_bits(u, n);
  uint64_t k = 0, prev = 0; /* ones seen so far, last element */
  for (uint64_t b = low_end; b < bits; ++b) {
    if (!bit_at(s, b)) continue;
    CHECK(k < n); /* no more than n ones */
    const uint64_t high = (b - low_end) - k;
    uint64_t low = 0;
    for (uint32_t i = 0; i < l; ++i) low |= (uint64_t)bit_at(s, k * l + i) << i;
    const uint64_t f = (high << l) | low;
    CHECK(f < u && (k == 0 || f > prev)); /* in range, strictly increasing */
    prev = f;
    ++k;
  }
  CHECK(k == n);
  if (bits & 7u) CHECK((s[bits >> 3] >> (bits & 7u)) == 0); /* unused high bits of the last byte */
  return TPR_OK;
}

static tpr_status check_weight(const tpr_blob* B, uint32_t wi) {
  const uint8_t* w = weight_rec(B, wi);
  const uint32_t kind = tpr_rd_u8(w + TPR_FMT_W_KIND), layout = tpr_rd_u8(w + TPR_FMT_W_LAYOUT);
  const uint32_t rpb = tpr_rd_u8(w + TPR_FMT_W_ROW_PTR_BYTES);
  const uint32_t pbits = tpr_rd_u8(w + TPR_FMT_W_POS_BITS);
  const uint32_t cout = tpr_rd_u32(w + TPR_FMT_W_COUT);
  const uint32_t kh = tpr_rd_u16(w + TPR_FMT_W_KH), kw = tpr_rd_u16(w + TPR_FMT_W_KW);
  const uint32_t cin = tpr_rd_u32(w + TPR_FMT_W_CIN);
  const uint32_t nkept = tpr_rd_u32(w + TPR_FMT_W_NKEPT);
  const uint32_t vo = tpr_rd_u32(w + TPR_FMT_W_VALUES_OFF);
  const uint32_t vl = tpr_rd_u32(w + TPR_FMT_W_VALUES_LEN);
  const uint32_t ro = tpr_rd_u32(w + TPR_FMT_W_ROW_PTR_OFF);
  const uint32_t po = tpr_rd_u32(w + TPR_FMT_W_POS_OFF);
  for (uint32_t i = 48; i < TPR_FMT_W_SIZE; i += 4) CHECK(tpr_rd_u32(w + i) == 0);
  CHECK(cout >= 1 && cout <= 0x7FFFFFFFu && kh >= 1 && kw >= 1 && cin >= 1);
  const uint64_t taps = (uint64_t)kh * kw;
  const uint64_t dot = taps * cin;
  if (dot > TPR_FMT_MAX_DOT_LEN) return TPR_ERR_UNSUPPORTED;
  CHECK(vo % TPR_FMT_ALIGN == 0 && in_data(B, vo, (uint64_t)vl + TPR_FMT_VALUES_PAD));
  TRY(check_quant_arrays(B, w, cout));
  if (kind == TPR_WEIGHTS_DENSE) {
    CHECK(rpb == 0 && pbits == 0 && nkept == 0 && ro == 0 && po == 0);
    if (layout == TPR_LAYOUT_OHWI) {
      CHECK((uint64_t)vl == (uint64_t)cout * dot);
    } else if (layout == TPR_LAYOUT_1HWO) {
      CHECK(cin == 1 && (uint64_t)vl == taps * cout);
    } else {
      return TPR_ERR_CORRUPT;
    }
    return TPR_OK;
  }
  CHECK(kind == TPR_WEIGHTS_FWCS && layout == TPR_LAYOUT_OHWI);
  CHECK((uint64_t)nkept <= (uint64_t)cout * taps && (uint64_t)vl == (uint64_t)nkept * cin);
  if (rpb == TPR_FMT_FWCS_EF_ROW_PTR_BYTES && pbits == TPR_FMT_FWCS_EF_POS_BITS) { /* EF index */
    const uint64_t u = (uint64_t)cout * taps;
    CHECK(ro == 0 && nkept >= 1 && u <= 0xFFFFFFFFu);
    const uint64_t bits = tpr_fmt_ef_bits((uint32_t)u, nkept);
    CHECK(bits <= 0xFFFFFFFFu); /* the kernels count stream bits in 32 bits */
    CHECK(po % TPR_FMT_ALIGN == 0 && in_data(B, po, (bits + 7u) / 8u));
    return check_ef(B->sec[TPR_SEC_DATA] + po, (uint32_t)u, nkept);
  }
  if (rpb == TPR_FMT_FWCS_MASK_ROW_PTR_BYTES) { /* MASK index: one bit per filterlet slot */
    const uint64_t bits = (uint64_t)cout * taps;
    CHECK(pbits == TPR_FMT_FWCS_MASK_POS_BITS && ro == 0 && bits <= 0xFFFFFFFFu);
    CHECK(po % TPR_FMT_ALIGN == 0 && in_data(B, po, (bits + 7u) / 8u));
    const uint8_t* m = B->sec[TPR_SEC_DATA] + po;
    const uint32_t full = (uint32_t)(bits >> 3), rest = (uint32_t)(bits & 7u);
    uint64_t ones = 0;
    for (uint32_t i = 0; i < full; ++i) {
      uint32_t x = m[i];
      x = x - ((x >> 1) & 0x55u);
      x = (x & 0x33u) + ((x >> 2) & 0x33u);
      ones += (x + (x >> 4)) & 0x0Fu;
    }
    if (rest) {
      CHECK((m[full] >> rest) == 0); /* unused high bits of the last byte are 0 */
      for (uint32_t i = 0; i < rest; ++i) ones += (m[full] >> i) & 1u;
    }
    CHECK(ones == nkept);
    return TPR_OK;
  }
  CHECK(rpb == 1 || rpb == 2 || rpb == 4);
  CHECK(pbits == 4 || pbits == 8 || pbits == 16 || pbits == 32);
  CHECK(ro % TPR_FMT_ALIGN == 0 && po % TPR_FMT_ALIGN == 0);
  CHECK(in_data(B, ro, ((uint64_t)cout + 1) * rpb) && in_data(B, po, ((uint64_t)nkept * pbits + 7u) / 8u));
  const uint8_t* rp = B->sec[TPR_SEC_DATA] + ro;
  const uint8_t* pos = B->sec[TPR_SEC_DATA] + po;
  uint32_t prev = rpb == 1 ? rp[0] : rpb == 2 ? tpr_rd_u16(rp) : tpr_rd_u32(rp);
  CHECK(prev == 0);
  for (uint32_t o = 0; o < cout; ++o) {
    const size_t e = (size_t)o + 1;
    const uint32_t next = rpb == 1 ? rp[e] : rpb == 2 ? tpr_rd_u16(rp + 2u * e) : tpr_rd_u32(rp + 4u * e);
    CHECK(next >= prev && next <= nkept);
    uint64_t last = 0;
    for (uint32_t j = prev; j < next; ++j) {
      const uint32_t p = pbits == 4 ? (pos[j >> 1] >> ((j & 1u) << 2)) & 15u
                         : pbits == 8 ? pos[j]
                         : pbits == 16 ? tpr_rd_u16(pos + 2u * (size_t)j)
                                       : tpr_rd_u32(pos + 4u * (size_t)j);
      CHECK(p < taps && (j == prev || p > last)); /* in range, strictly increasing per filter */
      last = p;
    }
    prev = next;
  }
  CHECK(prev == nkept);
  return TPR_OK;
}

/* ---- ops ---------------------------------------------------------------------------------- */
static int out_extent_ok(int64_t in, int64_t pad_a, int64_t pad_b, int64_t k, int64_t s,
                         int64_t out) {
  if (s < 1 || pad_a >= k || pad_b >= k) return 0;
  if (in + pad_a + pad_b < k) return 0;
  return out == (in + pad_a + pad_b - k) / s + 1;
}

static tpr_status check_params_zero(const uint8_t* op, uint32_t from) {
  for (uint32_t i = from; i < TPR_FMT_OP_NUM_PARAMS; ++i)
    CHECK(tpr_rd_i32(op + TPR_FMT_OP_PARAMS + 4u * i) == 0);
  return TPR_OK;
}

static int mult_shift_ok(int32_t m, int32_t s) { return m >= 0 && s >= -31 && s <= 30; }

static uint32_t weight_u32(const tpr_blob* B, uint32_t wi, uint32_t field) {
  return tpr_rd_u32(weight_rec(B, wi) + field);
}
static uint32_t weight_u16(const tpr_blob* B, uint32_t wi, uint32_t field) {
  return tpr_rd_u16(weight_rec(B, wi) + field);
}
static uint32_t weight_u8(const tpr_blob* B, uint32_t wi, uint32_t field) {
  return tpr_rd_u8(weight_rec(B, wi) + field);
}

/* Validate op i; prepare it into *rt when rt != NULL (tensor pointers are set by the caller). */
static tpr_status check_op(tpr_blob* B, uint32_t i, struct tpr_op_rt* rt) {
  const uint8_t* op = op_rec(B, i);
  const uint32_t code = tpr_rd_u8(op + TPR_FMT_OP_OPCODE);
  const uint32_t act = tpr_rd_u8(op + TPR_FMT_OP_ACT);
  const uint32_t groups = tpr_rd_u16(op + TPR_FMT_OP_GROUPS);
  const uint32_t in0 = tpr_rd_u16(op + TPR_FMT_OP_INPUT0), in1 = tpr_rd_u16(op + TPR_FMT_OP_INPUT1);
  const uint32_t out = tpr_rd_u16(op + TPR_FMT_OP_OUTPUT), wi = tpr_rd_u16(op + TPR_FMT_OP_WEIGHTS);
  const int32_t sh = (int32_t)tpr_rd_u8(op + TPR_FMT_OP_STRIDE_H);
  const int32_t sw = (int32_t)tpr_rd_u8(op + TPR_FMT_OP_STRIDE_W);
  const int32_t kh_p = (int32_t)tpr_rd_u8(op + TPR_FMT_OP_KERNEL_H);
  const int32_t kw_p = (int32_t)tpr_rd_u8(op + TPR_FMT_OP_KERNEL_W);
  const int32_t pt = (int32_t)tpr_rd_u8(op + TPR_FMT_OP_PAD_TOP);
  const int32_t pbm = (int32_t)tpr_rd_u8(op + TPR_FMT_OP_PAD_BOTTOM);
  const int32_t pl = (int32_t)tpr_rd_u8(op + TPR_FMT_OP_PAD_LEFT);
  const int32_t pr = (int32_t)tpr_rd_u8(op + TPR_FMT_OP_PAD_RIGHT);
  const int32_t amin = tpr_rd_i16(op + TPR_FMT_OP_ACT_MIN);
  const int32_t amax = tpr_rd_i16(op + TPR_FMT_OP_ACT_MAX);
  const int32_t* P = NULL;
  int32_t prm[TPR_FMT_OP_NUM_PARAMS];
  for (uint32_t k = 0; k < TPR_FMT_OP_NUM_PARAMS; ++k)
    prm[k] = tpr_rd_i32(op + TPR_FMT_OP_PARAMS + 4u * k);
  P = prm;

  CHECK(act <= TPR_ACT_RELU6);
  CHECK(amin >= -128 && amin <= amax && amax <= 127);
  CHECK(in0 < B->num_tensors && out < B->num_tensors && in0 != out);
  const int uses_w = code == TPR_OP_CONV2D || code == TPR_OP_DEPTHWISE_CONV2D ||
                     code == TPR_OP_FULLY_CONNECTED;
  if (code < TPR_OP_CONV2D || code > TPR_OP_RESHAPE) return TPR_ERR_UNSUPPORTED;
  if (uses_w) {
    CHECK(wi < B->num_weights);
  } else {
    CHECK(wi == TPR_FMT_NONE);
  }
  if (code == TPR_OP_ADD) {
    CHECK(in1 < B->num_tensors && in1 != out);
  } else {
    CHECK(in1 == TPR_FMT_NONE);
  }
  if (code != TPR_OP_CONV2D && code != TPR_OP_DEPTHWISE_CONV2D) CHECK(groups == 0);
  if (code != TPR_OP_MAX_POOL && code != TPR_OP_AVG_POOL) CHECK(kh_p == 0 && kw_p == 0);
  const int spatial = code == TPR_OP_CONV2D || code == TPR_OP_DEPTHWISE_CONV2D ||
                      code == TPR_OP_MAX_POOL || code == TPR_OP_AVG_POOL;
  if (!spatial) CHECK(sh == 0 && sw == 0 && pt == 0 && pbm == 0 && pl == 0 && pr == 0);

  tpr_dims din = {0, 0, 0, 0}, dout = {0, 0, 0, 0};
  struct tpr_op_rt tmp;
  if (!rt) rt = &tmp;
  memset(rt, 0, sizeof *rt);
  rt->opcode = (uint8_t)code;
  const int32_t in_off = -tensor_zp(B, in0), out_off = tensor_zp(B, out);

  if (code == TPR_OP_CONV2D || code == TPR_OP_DEPTHWISE_CONV2D) {
    TRY(check_params_zero(op, 0));
    CHECK(get_dims4(B, in0, &din) && get_dims4(B, out, &dout));
    const uint32_t kind = weight_u8(B, wi, TPR_FMT_W_KIND);
    const uint32_t layout = weight_u8(B, wi, TPR_FMT_W_LAYOUT);
    const int32_t kh = (int32_t)weight_u16(B, wi, TPR_FMT_W_KH);
    const int32_t kw = (int32_t)weight_u16(B, wi, TPR_FMT_W_KW);
    const uint32_t cout = weight_u32(B, wi, TPR_FMT_W_COUT), cin = weight_u32(B, wi, TPR_FMT_W_CIN);
    CHECK(din.n == dout.n && (uint32_t)dout.c == cout);
    CHECK(out_extent_ok(din.h, pt, pbm, kh, sh, dout.h) && out_extent_ok(din.w, pl, pr, kw, sw, dout.w));
    if (code == TPR_OP_CONV2D) {
      CHECK(groups == 1 && layout == TPR_LAYOUT_OHWI && (uint32_t)din.c == cin);
      rt->impl = kind == TPR_WEIGHTS_FWCS ? TPR_IMPL_CONV_FWCS
                 : (kh == 1 && kw == 1 && pt == 0 && pl == 0) ? TPR_IMPL_CONV_1X1
                                                             : TPR_IMPL_DEFAULT;
    } else {
      CHECK(groups == (uint32_t)din.c && layout == TPR_LAYOUT_1HWO && kind == TPR_WEIGHTS_DENSE);
      CHECK(dout.c % din.c == 0);
    }
    rt->u.conv.input_offset = in_off;
    rt->u.conv.output_offset = out_off;
    rt->u.conv.stride_h = sh;
    rt->u.conv.stride_w = sw;
    rt->u.conv.pad_top = pt;
    rt->u.conv.pad_left = pl;
    rt->u.conv.act_min = amin;
    rt->u.conv.act_max = amax;
    rt->f_dims.n = code == TPR_OP_CONV2D ? (int32_t)cout : 1;
    rt->f_dims.h = kh;
    rt->f_dims.w = kw;
    rt->f_dims.c = code == TPR_OP_CONV2D ? (int32_t)cin : (int32_t)cout;
  } else if (code == TPR_OP_FULLY_CONNECTED) {
    TRY(check_params_zero(op, 0));
    const uint32_t cout = weight_u32(B, wi, TPR_FMT_W_COUT), cin = weight_u32(B, wi, TPR_FMT_W_CIN);
    CHECK(weight_u8(B, wi, TPR_FMT_W_KIND) == TPR_WEIGHTS_DENSE &&
          weight_u8(B, wi, TPR_FMT_W_LAYOUT) == TPR_LAYOUT_OHWI &&
          weight_u16(B, wi, TPR_FMT_W_KH) == 1 && weight_u16(B, wi, TPR_FMT_W_KW) == 1);
    CHECK(tensor_rank(B, out) == 2 && tensor_dim(B, out, 1) == cout);
    const uint32_t batches = tensor_dim(B, out, 0);
    CHECK((uint64_t)tensor_numel(B, in0) == (uint64_t)batches * cin);
    rt->u.fc.input_offset = in_off;
    rt->u.fc.output_offset = out_off;
    rt->u.fc.act_min = amin;
    rt->u.fc.act_max = amax;
    rt->in_dims.n = (int32_t)batches;
    rt->in_dims.c = (int32_t)cin;
    rt->f_dims.n = (int32_t)cout;
    rt->f_dims.h = rt->f_dims.w = 1;
    rt->f_dims.c = (int32_t)cin;
  } else if (code == TPR_OP_ADD) {
    TRY(check_params_zero(op, 7));
    const uint32_t r = tensor_rank(B, in0);
    CHECK(tensor_rank(B, in1) == r && tensor_rank(B, out) == r);
    for (uint32_t k = 0; k < r; ++k)
      CHECK(tensor_dim(B, in1, k) == tensor_dim(B, in0, k) &&
            tensor_dim(B, out, k) == tensor_dim(B, in0, k));
    CHECK(P[TPR_FMT_P_ADD_LEFT_SHIFT] >= 0 && P[TPR_FMT_P_ADD_LEFT_SHIFT] <= 22);
    CHECK(mult_shift_ok(P[TPR_FMT_P_ADD_IN0_MULT], P[TPR_FMT_P_ADD_IN0_SHIFT]));
    CHECK(mult_shift_ok(P[TPR_FMT_P_ADD_IN1_MULT], P[TPR_FMT_P_ADD_IN1_SHIFT]));
    CHECK(mult_shift_ok(P[TPR_FMT_P_ADD_OUT_MULT], P[TPR_FMT_P_ADD_OUT_SHIFT]));
    tpr_add_params* a = &rt->u.add;
    a->input0_offset = in_off;
    a->input1_offset = -tensor_zp(B, in1);
    a->output_offset = out_off;
    a->left_shift = P[TPR_FMT_P_ADD_LEFT_SHIFT];
    a->input0_mult = P[TPR_FMT_P_ADD_IN0_MULT];
    a->input0_shift = P[TPR_FMT_P_ADD_IN0_SHIFT];
    a->input1_mult = P[TPR_FMT_P_ADD_IN1_MULT];
    a->input1_shift = P[TPR_FMT_P_ADD_IN1_SHIFT];
    a->output_mult = P[TPR_FMT_P_ADD_OUT_MULT];
    a->output_shift = P[TPR_FMT_P_ADD_OUT_SHIFT];
    a->act_min = amin;
    a->act_max = amax;
    rt->count = tensor_numel(B, in0);
  } else if (code == TPR_OP_MAX_POOL || code == TPR_OP_AVG_POOL) {
    TRY(check_params_zero(op, 0));
    CHECK(get_dims4(B, in0, &din) && get_dims4(B, out, &dout));
    CHECK(din.n == dout.n && din.c == dout.c && same_quant(B, in0, out));
    CHECK(kh_p >= 1 && kw_p >= 1);
    CHECK(out_extent_ok(din.h, pt, pbm, kh_p, sh, dout.h) &&
          out_extent_ok(din.w, pl, pr, kw_p, sw, dout.w));
    tpr_pool_params* pp = &rt->u.pool;
    pp->kernel_h = kh_p;
    pp->kernel_w = kw_p;
    pp->stride_h = sh;
    pp->stride_w = sw;
    pp->pad_top = pt;
    pp->pad_left = pl;
    pp->act_min = amin;
    pp->act_max = amax;
  } else if (code == TPR_OP_GLOBAL_AVG_POOL) {
    TRY(check_params_zero(op, 2));
    CHECK(get_dims4(B, in0, &din));
    CHECK((uint64_t)din.h * (uint64_t)din.w <= (1u << 23));
    rt->in_dims = din;
    const uint32_t orank = tensor_rank(B, out);
    CHECK(orank == 2 || orank == 4);
    CHECK(tensor_dim(B, out, 0) == (uint32_t)din.n && tensor_dim(B, out, orank - 1) == (uint32_t)din.c);
    if (orank == 4) CHECK(tensor_dim(B, out, 1) == 1 && tensor_dim(B, out, 2) == 1);
    CHECK(mult_shift_ok(P[TPR_FMT_P_GAP_MULT], P[TPR_FMT_P_GAP_SHIFT]));
    rt->u.gap.input_offset = in_off;
    rt->u.gap.output_offset = out_off;
    rt->u.gap.multiplier = P[TPR_FMT_P_GAP_MULT];
    rt->u.gap.shift = P[TPR_FMT_P_GAP_SHIFT];
    rt->u.gap.act_min = amin;
    rt->u.gap.act_max = amax;
  } else { /* RESHAPE */
    TRY(check_params_zero(op, 0));
    CHECK(tensor_numel(B, in0) == tensor_numel(B, out) && same_quant(B, in0, out));
    rt->count = tensor_numel(B, in0);
  }
  if (spatial) {
    rt->in_dims = din;
    rt->out_dims = dout;
  }

  /* weights and scratch */
  uint64_t scratch = 0;
  if (uses_w) {
    const uint8_t* w = weight_rec(B, wi);
    const uint8_t* d = B->sec[TPR_SEC_DATA];
    rt->bias = (const int32_t*)(const void*)(d + tpr_rd_u32(w + TPR_FMT_W_BIAS_OFF));
    rt->q.multiplier = (const int32_t*)(const void*)(d + tpr_rd_u32(w + TPR_FMT_W_MULT_OFF));
    rt->q.shift = (const int8_t*)(d + tpr_rd_u32(w + TPR_FMT_W_SHIFT_OFF));
    rt->filter = (const int8_t*)(d + tpr_rd_u32(w + TPR_FMT_W_VALUES_OFF));
    if (rt->impl == TPR_IMPL_CONV_FWCS) {
      rt->fwcs.values = rt->filter;
      rt->fwcs.row_ptr_bytes = (uint8_t)tpr_rd_u8(w + TPR_FMT_W_ROW_PTR_BYTES);
      rt->fwcs.row_ptr = rt->fwcs.row_ptr_bytes ? d + tpr_rd_u32(w + TPR_FMT_W_ROW_PTR_OFF) : NULL;
      rt->fwcs.pos = d + tpr_rd_u32(w + TPR_FMT_W_POS_OFF);
      rt->fwcs.pos_bits = (uint8_t)tpr_rd_u8(w + TPR_FMT_W_POS_BITS);
      rt->fwcs.nkept = tpr_rd_u32(w + TPR_FMT_W_NKEPT);
      scratch = tpr_conv2d_fwcs_s8_scratch_size(&rt->in_dims, &rt->f_dims, &rt->out_dims);
    } else if (code == TPR_OP_CONV2D && rt->impl == TPR_IMPL_CONV_1X1) {
      scratch = tpr_conv2d_1x1_s8_scratch_size(&rt->in_dims, &rt->f_dims, &rt->out_dims);
    } else if (code == TPR_OP_CONV2D) {
      scratch = tpr_conv2d_s8_scratch_size(&rt->in_dims, &rt->f_dims, &rt->out_dims);
    } else if (code == TPR_OP_DEPTHWISE_CONV2D) {
      scratch = tpr_depthwise_conv2d_s8_scratch_size(&rt->in_dims, &rt->f_dims, &rt->out_dims);
    } else {
      scratch = tpr_fully_connected_s8_scratch_size(rt->f_dims.c, rt->f_dims.n);
    }
  }
  if (scratch > B->scratch) B->scratch = scratch;
  return TPR_OK;
}

/* ---- graph topology and memory plan --------------------------------------------------------- */
static uint32_t model_io(const tpr_blob* B, uint32_t k) {
  return tpr_rd_u16(B->sec[TPR_SEC_MODEL] + TPR_FMT_MODEL_FIXED_SIZE + 2u * k);
}
static int is_graph_input(const tpr_blob* B, uint32_t t) {
  for (uint32_t k = 0; k < B->num_inputs; ++k)
    if (model_io(B, k) == t) return 1;
  return 0;
}
static int is_graph_output(const tpr_blob* B, uint32_t t) {
  for (uint32_t k = 0; k < B->num_outputs; ++k)
    if (model_io(B, B->num_inputs + k) == t) return 1;
  return 0;
}
static uint32_t op_out(const tpr_blob* B, uint32_t i) { return tpr_rd_u16(op_rec(B, i) + TPR_FMT_OP_OUTPUT); }
static int op_reads(const tpr_blob* B, uint32_t i, uint32_t t) {
  const uint8_t* op = op_rec(B, i);
  return tpr_rd_u16(op + TPR_FMT_OP_INPUT0) == t || tpr_rd_u16(op + TPR_FMT_OP_INPUT1) == t;
}
/* t holds a value before op i runs */
static int defined_before(const tpr_blob* B, uint32_t t, uint32_t i) {
  if (is_graph_input(B, t)) return 1;
  for (uint32_t j = 0; j < i; ++j)
    if (op_out(B, j) == t) return 1;
  return 0;
}
static int needed_from(const tpr_blob* B, uint32_t t, uint32_t i) {
  if (is_graph_output(B, t)) return 1;
  for (uint32_t k = i; k < B->num_ops; ++k)
    if (op_reads(B, k, t)) return 1;
  return 0;
}

static tpr_status check_graph(const tpr_blob* B) {
  for (uint32_t i = 0; i < B->num_ops; ++i) {
    const uint8_t* op = op_rec(B, i);
    const uint32_t in0 = tpr_rd_u16(op + TPR_FMT_OP_INPUT0), in1 = tpr_rd_u16(op + TPR_FMT_OP_INPUT1);
    const uint32_t u = op_out(B, i);
    CHECK(defined_before(B, in0, i));
    if (in1 != TPR_FMT_NONE) CHECK(defined_before(B, in1, i));
    CHECK(!defined_before(B, u, i)); /* single assignment, never a graph input */
    /* the output's bytes may not overlap any tensor still needed (alias rules in FORMAT.md) */
    const uint64_t uo = tensor_offset(B, u), ue = uo + tensor_numel(B, u);
    const uint32_t code = tpr_rd_u8(op + TPR_FMT_OP_OPCODE);
    for (uint32_t t = 0; t < B->num_tensors; ++t) {
      if (t == u) continue;
      const uint64_t to = tensor_offset(B, t), te = to + tensor_numel(B, t);
      if (te <= uo || ue <= to) continue;
      if ((code == TPR_OP_ADD || code == TPR_OP_RESHAPE) && (t == in0 || t == in1) && to == uo)
        continue; /* exact in-place alias */
      if (defined_before(B, t, i) && needed_from(B, t, i)) return TPR_ERR_CORRUPT;
    }
  }
  for (uint32_t k = 0; k < B->num_outputs; ++k)
    CHECK(defined_before(B, model_io(B, B->num_inputs + k), B->num_ops));
  return TPR_OK;
}

/* ---- public ------------------------------------------------------------------------------- */
typedef struct { uint64_t tensors, scratch, ops, views, total; } tpr_layout;

static tpr_status validate(const void* blob, size_t size, uint32_t flags, tpr_blob* B,
                           tpr_layout* L) {
  TRY(parse_header((const uint8_t*)blob, size, flags, B));
  TRY(parse_model(B));
  TRY(check_tensors(B));
  for (uint32_t w = 0; w < B->num_weights; ++w) TRY(check_weight(B, w));
  for (uint32_t i = 0; i < B->num_ops; ++i) TRY(check_op(B, i, NULL));
  TRY(check_graph(B));
  L->tensors = ((uint64_t)B->arena_size + 15u) & ~(uint64_t)15u;
  L->scratch = (B->scratch + 15u) & ~(uint64_t)15u;
  L->ops = ((uint64_t)B->num_ops * sizeof(struct tpr_op_rt) + 15u) & ~(uint64_t)15u;
  L->views = (uint64_t)B->num_tensors * sizeof(tpr_tensor);
  L->total = L->tensors + L->scratch + L->ops + L->views + 15u;
  if (L->total > (uint64_t)(size_t)-1) return TPR_ERR_ARENA;
  return TPR_OK;
}

tpr_status tpr_arena_size(const void* blob, size_t blob_size, size_t* bytes) {
  if (!bytes) return TPR_ERR_ARG;
  *bytes = 0;
  tpr_blob B;
  tpr_layout L;
  TRY(validate(blob, blob_size, 0, &B, &L));
  *bytes = (size_t)L.total;
  return TPR_OK;
}

tpr_status tpr_model_init(const void* blob, size_t blob_size, void* arena, size_t arena_size,
                          tpr_model* model) {
  return tpr_model_init_ex(blob, blob_size, arena, arena_size, model, 0);
}

tpr_status tpr_model_init_ex(const void* blob, size_t blob_size, void* arena, size_t arena_size,
                             tpr_model* model, uint32_t flags) {
  if (!model) return TPR_ERR_ARG;
  memset(model, 0, sizeof *model);
  if (!arena) return TPR_ERR_ARG;
  tpr_blob B;
  tpr_layout L;
  TRY(validate(blob, blob_size, flags, &B, &L));
  if (arena_size < L.total) return TPR_ERR_ARENA;
  uint8_t* base = (uint8_t*)(((uintptr_t)arena + 15u) & ~(uintptr_t)15u);
  uint8_t* tensors = base;
  uint8_t* scratch = tensors + L.tensors;
  struct tpr_op_rt* ops = (struct tpr_op_rt*)(void*)(scratch + L.scratch);
  tpr_tensor* views = (tpr_tensor*)(void*)((uint8_t*)ops + L.ops);

  for (uint32_t t = 0; t < B.num_tensors; ++t) {
    const uint8_t* r = tensor_rec(&B, t);
    tpr_tensor* v = &views[t];
    uint32_t bits = tpr_rd_u32(r + TPR_FMT_TENSOR_SCALE);
    v->data = (int8_t*)(tensors + tensor_offset(&B, t));
    v->bytes = tensor_numel(&B, t);
    v->rank = (int32_t)tensor_rank(&B, t);
    for (uint32_t k = 0; k < 4; ++k) v->dims[k] = k < (uint32_t)v->rank ? (int32_t)tensor_dim(&B, t, k) : 1;
    memcpy(&v->scale, &bits, sizeof bits);
    v->zero_point = tensor_zp(&B, t);
  }
  for (uint32_t i = 0; i < B.num_ops; ++i) {
    const uint8_t* op = op_rec(&B, i);
    TRY(check_op(&B, i, &ops[i]));
    ops[i].in0 = views[tpr_rd_u16(op + TPR_FMT_OP_INPUT0)].data;
    const uint32_t in1 = tpr_rd_u16(op + TPR_FMT_OP_INPUT1);
    ops[i].in1 = in1 == TPR_FMT_NONE ? NULL : views[in1].data;
    ops[i].out = views[op_out(&B, i)].data;
  }
  model->blob = B.b;
  model->tensor_arena = tensors;
  model->scratch = scratch;
  model->scratch_size = (size_t)L.scratch;
  model->ops = ops;
  model->tensors = views;
  model->num_ops = B.num_ops;
  model->num_tensors = B.num_tensors;
  model->num_inputs = (uint16_t)B.num_inputs;
  model->num_outputs = (uint16_t)B.num_outputs;
  for (uint32_t k = 0; k < B.num_inputs; ++k) model->inputs[k] = (uint16_t)model_io(&B, k);
  for (uint32_t k = 0; k < B.num_outputs; ++k)
    model->outputs[k] = (uint16_t)model_io(&B, B.num_inputs + k);
  return TPR_OK;
}

size_t tpr_num_inputs(const tpr_model* m) { return m ? m->num_inputs : 0; }
size_t tpr_num_outputs(const tpr_model* m) { return m ? m->num_outputs : 0; }

const tpr_tensor* tpr_input(const tpr_model* m, size_t i) {
  if (!m || !m->tensors || i >= m->num_inputs) return NULL;
  return &m->tensors[m->inputs[i]];
}

const tpr_tensor* tpr_output(const tpr_model* m, size_t i) {
  if (!m || !m->tensors || i >= m->num_outputs) return NULL;
  return &m->tensors[m->outputs[i]];
}
