/* Corrupt and hostile blobs: every truncation point near section boundaries plus random ones,
 * every single-bit flip (CRC on: all must be caught), random multi-byte corruption with the CRC
 * recomputed (exercises the structural validation; accepted blobs are invoked and must not
 * misbehave), wrong versions, and targeted hostile offsets/lengths/counts. Buffers are exactly
 * sized: run under -fsanitize=address,undefined to prove nothing is read out of bounds. */
#include <stdlib.h>
#include <string.h>

#include "graphs.h"
#include "test_util.h"
#include "tpr.h"
#include "tpr_format.h"

static uint32_t rd32(const uint8_t* p) { return p[0] | (p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }
static void wr32(uint8_t* p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }
static void wr16(uint8_t* p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

static void fix_crc(uint8_t* b, size_t n) {
  wr32(b + TPR_FMT_HDR_CRC32, tpr_crc32(0, b + TPR_FMT_CRC_START, n - TPR_FMT_CRC_START));
}

static uint32_t sec_off(const uint8_t* b, uint32_t id, uint32_t* len) {
  const uint32_t n = rd32(b + TPR_FMT_HDR_SECTION_COUNT), t = rd32(b + TPR_FMT_HDR_SECTION_TABLE);
  for (uint32_t i = 0; i < n; ++i) {
    const uint8_t* e = b + t + i * TPR_FMT_SEC_ENTRY_SIZE;
    if (rd32(e) == id) { if (len) *len = rd32(e + 8); return rd32(e + 4); }
  }
  return 0;
}

/* init with an exactly sized arena; if accepted, invoke too. Returns the init status. */
static tpr_status try_blob(const uint8_t* b, size_t n, uint32_t flags) {
  uint8_t* copy = malloc(n ? n : 1);
  memcpy(copy, b, n);
  size_t need = 0;
  tpr_status st = tpr_arena_size(copy, n, &need);
  if (flags & TPR_INIT_SKIP_CRC) { /* arena_size always checks the CRC: fix it in a 2nd copy */
    uint8_t* c2 = malloc(n ? n : 1);
    memcpy(c2, b, n);
    if (n >= TPR_FMT_HEADER_SIZE && rd32(c2 + TPR_FMT_HDR_TOTAL_SIZE) <= n &&
        rd32(c2 + TPR_FMT_HDR_TOTAL_SIZE) >= TPR_FMT_HEADER_SIZE)
      fix_crc(c2, rd32(c2 + TPR_FMT_HDR_TOTAL_SIZE));
    st = tpr_arena_size(c2, n, &need);
    free(c2);
  }
  if (st == TPR_OK) {
    uint8_t* arena = malloc(need);
    tpr_model m;
    st = tpr_model_init_ex(copy, n, arena, need, &m, flags);
    if (st == TPR_OK) {
      for (size_t i = 0; i < tpr_num_inputs(&m); ++i) memset(tpr_input(&m, i)->data, 0x11, tpr_input(&m, i)->bytes);
      tpr_invoke(&m);
    }
    free(arena);
  }
  free(copy);
  return st;
}

static void make_blob(int which, uint32_t seed, uint8_t** blob, size_t* n) {
  tg_graph g;
  tg_make(&g, which, seed);
  void* b;
  TU_CHECK(tg_serialize(&g, &b, n) == TPR_OK, "serialize");
  *blob = b;
  tg_free(&g);
}

static void test_truncation(const uint8_t* b, size_t n) {
  size_t cuts[256];
  int nc = 0;
  const size_t fixed[] = {0, 1, 4, 19, 20, 31, 32, 33, 47, 48, 127, 128, 129};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; ++i) cuts[nc++] = fixed[i];
  for (uint32_t id = TPR_SEC_MODEL; id <= TPR_SEC_DATA; ++id) {
    uint32_t len, off = sec_off(b, id, &len);
    const size_t pts[] = {off - 1, off, off + 1, off + len - 1, off + len, off + len + 1};
    for (int k = 0; k < 6; ++k) cuts[nc++] = pts[k];
  }
  uint32_t s = 77;
  while (nc < 200) cuts[nc++] = bf_rand(&s) % n;
  int caught = 0, total = 0;
  for (int i = 0; i < nc; ++i) {
    if (cuts[i] >= n) continue;
    ++total;
    caught += try_blob(b, cuts[i], 0) != TPR_OK;
    /* truncated blob that claims the shorter size and has a valid CRC: structure must catch it */
    if (cuts[i] >= TPR_FMT_HEADER_SIZE) {
      uint8_t* c = malloc(cuts[i]);
      memcpy(c, b, cuts[i]);
      wr32(c + TPR_FMT_HDR_TOTAL_SIZE, (uint32_t)cuts[i]);
      fix_crc(c, cuts[i]);
      ++total;
      caught += try_blob(c, cuts[i], 0) != TPR_OK;
      free(c);
    }
  }
  TU_CHECK(caught == total, "truncations caught %d of %d", caught, total);
}

static void test_all_bit_flips(const uint8_t* b, size_t n, size_t step) {
  uint8_t* c = malloc(n);
  int missed = 0, total = 0;
  size_t need;
  for (size_t i = 0; i < n; i += step)
    for (int bit = 0; bit < 8; ++bit) {
      memcpy(c, b, n);
      c[i] ^= (uint8_t)(1u << bit);
      ++total;
      if (tpr_arena_size(c, n, &need) == TPR_OK) { ++missed; if (missed < 5) fprintf(stderr, "flip at %zu bit %d missed\n", i, bit); }
    }
  TU_CHECK(missed == 0, "CRC on: %d of %d single-bit flips missed", missed, total);
  free(c);
}

static void test_structural_fuzz(const uint8_t* b, size_t n, int iters, uint32_t seed) {
  uint8_t* c = malloc(n);
  int accepted = 0;
  for (int it = 0; it < iters; ++it) {
    memcpy(c, b, n);
    const int flips = bf_range(&seed, 1, 4);
    for (int f = 0; f < flips; ++f) {
      /* bias toward the metadata (first sections) where structure lives */
      const size_t limit = bf_range(&seed, 0, 3) ? (n < 1024 ? n : 1024) : n;
      const size_t at = bf_rand(&seed) % limit;
      switch (bf_range(&seed, 0, 3)) {
        case 0: c[at] ^= (uint8_t)(1u << bf_range(&seed, 0, 7)); break;
        case 1: c[at] = (uint8_t)bf_rand(&seed); break;
        case 2: c[at] = bf_range(&seed, 0, 1) ? 0xFF : 0x00; break;
        default: if (at + 4 <= n) wr32(c + at, bf_rand(&seed) >> bf_range(&seed, 0, 31)); break;
      }
    }
    if (it % 2) { fix_crc(c, n); accepted += try_blob(c, n, 0) == TPR_OK; }
    else accepted += try_blob(c, n, TPR_INIT_SKIP_CRC) == TPR_OK;
  }
  printf("structural fuzz: %d of %d corrupted blobs accepted (benign value changes) and invoked\n",
         accepted, iters);
  TU_CHECK(1, "structural fuzz survived");
  free(c);
}

typedef void (*mutator)(uint8_t* b, size_t n);

/* One hostile edit of a valid blob and the status init must return for it. */
typedef struct {
  const char* name;
  mutator m;
  tpr_status want;
} hostile_case;

/* Applies each case to a fresh copy of `blob` (CRC re-fixed, so the check under test is reached)
 * and checks init's status. */
static void run_hostile_cases(const uint8_t* blob, size_t n, const hostile_case* cases, size_t count) {
  uint8_t* c = malloc(n);
  for (size_t i = 0; i < count; ++i) {
    memcpy(c, blob, n);
    cases[i].m(c, n);
    fix_crc(c, n);
    tpr_status st = try_blob(c, n, 0);
    TU_CHECK(st == cases[i].want, "hostile %s: got %s want %s", cases[i].name, tpr_status_str(st),
             tpr_status_str(cases[i].want));
  }
  free(c);
}
static uint32_t T, O, W, P, D; /* section offsets */
static void m_version2(uint8_t* b, size_t n) { (void)n; wr16(b + TPR_FMT_HDR_VERSION, 2); }
static void m_version0(uint8_t* b, size_t n) { (void)n; wr16(b + TPR_FMT_HDR_VERSION, 0); }
static void m_magic(uint8_t* b, size_t n) { (void)n; b[0] = 'X'; }
static void m_flags(uint8_t* b, size_t n) { (void)n; wr32(b + TPR_FMT_HDR_FLAGS, 1); }
static void m_total_big(uint8_t* b, size_t n) { (void)n; wr32(b + TPR_FMT_HDR_TOTAL_SIZE, 0xFFFFFFF0u); }
static void m_sec_count(uint8_t* b, size_t n) { (void)n; wr32(b + TPR_FMT_HDR_SECTION_COUNT, 0x40000000u); }
static void m_sec_table(uint8_t* b, size_t n) { (void)n; wr32(b + TPR_FMT_HDR_SECTION_TABLE, 0xFFFFFFF0u); }
static void m_sec_off(uint8_t* b, size_t n) { (void)n; wr32(b + 32 + 4, 0xFFFFFFF0u); }
static void m_sec_len(uint8_t* b, size_t n) { (void)n; wr32(b + 32 + 16 + 8, 0xFFFFFFF0u); }
static void m_sec_dup(uint8_t* b, size_t n) { (void)n; wr32(b + 32 + 16, TPR_SEC_MODEL); }
static void m_sec_unaligned(uint8_t* b, size_t n) { (void)n; wr32(b + 32 + 4, rd32(b + 32 + 4) + 4); }
static void m_num_tensors(uint8_t* b, size_t n) { wr32(b + sec_off(b, TPR_SEC_MODEL, NULL), 0xFFFF); (void)n; }
static void m_num_ops(uint8_t* b, size_t n) { wr32(b + sec_off(b, TPR_SEC_MODEL, NULL) + 4, 0x7FFFFFFF); (void)n; }
static void m_io_id(uint8_t* b, size_t n) { wr16(b + sec_off(b, TPR_SEC_MODEL, NULL) + 32, 0xFFFE); (void)n; }
static void m_dim_huge(uint8_t* b, size_t n) { (void)n; wr32(b + T + TPR_FMT_TENSOR_DIMS + 4, 0x7FFFFFFF); }
static void m_dim_zero(uint8_t* b, size_t n) { (void)n; wr32(b + T + TPR_FMT_TENSOR_DIMS + 8, 0); }
static void m_rank5(uint8_t* b, size_t n) { (void)n; b[T + TPR_FMT_TENSOR_RANK] = 5; }
static void m_scale_nan(uint8_t* b, size_t n) { (void)n; wr32(b + T + TPR_FMT_TENSOR_SCALE, 0x7FC00000u); }
static void m_zp(uint8_t* b, size_t n) { (void)n; wr32(b + T + TPR_FMT_TENSOR_ZERO_POINT, 300); }
static void m_opcode(uint8_t* b, size_t n) { (void)n; b[O + TPR_FMT_OP_OPCODE] = 99; }
static void m_op_in(uint8_t* b, size_t n) { (void)n; wr16(b + O + TPR_FMT_OP_INPUT0, 0x7FFF); }
static void m_op_self(uint8_t* b, size_t n) { (void)n; wr16(b + O + TPR_FMT_OP_INPUT0, rd32(b + O + TPR_FMT_OP_OUTPUT) & 0xFFFF); }
static void m_op_w(uint8_t* b, size_t n) { (void)n; wr16(b + O + TPR_FMT_OP_WEIGHTS, 0x1234); }
static void m_stride0(uint8_t* b, size_t n) { (void)n; b[O + TPR_FMT_OP_STRIDE_H] = 0; }
static void m_pad_big(uint8_t* b, size_t n) { (void)n; b[O + TPR_FMT_OP_PAD_TOP] = 200; }
static void m_act(uint8_t* b, size_t n) { (void)n; wr16(b + O + TPR_FMT_OP_ACT_MIN, 100); wr16(b + O + TPR_FMT_OP_ACT_MAX, 50); }
static void m_w_values(uint8_t* b, size_t n) { (void)n; wr32(b + W + TPR_FMT_W_VALUES_OFF, 0xFFFFFF00u); }
static void m_w_len(uint8_t* b, size_t n) { (void)n; wr32(b + W + TPR_FMT_W_VALUES_LEN, rd32(b + W + TPR_FMT_W_VALUES_LEN) + 1); }
static void m_w_bias(uint8_t* b, size_t n) { (void)n; wr32(b + W + TPR_FMT_W_BIAS_OFF, rd32(b + W + TPR_FMT_W_BIAS_OFF) + 0x10000000u); }
static void m_w_cout(uint8_t* b, size_t n) { (void)n; wr32(b + W + TPR_FMT_W_COUT, 0xFFFFFFFFu); }
static void m_w_kernel(uint8_t* b, size_t n) { (void)n; wr16(b + W + TPR_FMT_W_KH, 0xFFFF); }
static void m_w_nkept(uint8_t* b, size_t n) { (void)n; wr32(b + W + TPR_FMT_W_NKEPT, rd32(b + W + TPR_FMT_W_NKEPT) + 1); }
/* graph 1's conv: u8 row_ptr, 4-bit positions, 3x3 taps */
static void m_rowptr(uint8_t* b, size_t n) { (void)n; uint8_t* rp = b + D + rd32(b + W + TPR_FMT_W_ROW_PTR_OFF); rp[1] = 0xFF; }
static void m_rowptr_dec(uint8_t* b, size_t n) { (void)n; uint8_t* rp = b + D + rd32(b + W + TPR_FMT_W_ROW_PTR_OFF); rp[2] = 0; rp[1] = 5; }
static void m_pos(uint8_t* b, size_t n) { (void)n; b[D + rd32(b + W + TPR_FMT_W_POS_OFF)] = 0x99; }
static void m_pos_dup(uint8_t* b, size_t n) { /* two equal positions inside one filter */
  (void)n;
  const uint8_t* rp = b + D + rd32(b + W + TPR_FMT_W_ROW_PTR_OFF);
  uint8_t* p = b + D + rd32(b + W + TPR_FMT_W_POS_OFF);
  uint32_t o = 0;
  while (rp[o + 1] - rp[o] < 2) ++o;
  const uint32_t j = rp[o];
  const uint32_t v = (p[j >> 1] >> ((j & 1) * 4)) & 15;
  const uint32_t k = j + 1;
  p[k >> 1] = (uint8_t)((k & 1) ? ((p[k >> 1] & 0x0F) | (v << 4)) : ((p[k >> 1] & 0xF0) | v));
}
static void m_mult_neg(uint8_t* b, size_t n) { (void)n; wr32(b + D + rd32(b + W + TPR_FMT_W_MULT_OFF), 0x80000000u); }
static void m_shift(uint8_t* b, size_t n) { (void)n; b[D + rd32(b + W + TPR_FMT_W_SHIFT_OFF)] = 31; }
static void m_bias_big(uint8_t* b, size_t n) { (void)n; wr32(b + D + rd32(b + W + TPR_FMT_W_BIAS_OFF), 0x7FFFFFFF); }
static void m_plan_off(uint8_t* b, size_t n) { (void)n; wr32(b + P + TPR_FMT_PLAN_OFFSETS, 0xFFFFFFF0u); }
static void m_plan_odd(uint8_t* b, size_t n) { (void)n; wr32(b + P + TPR_FMT_PLAN_OFFSETS, 2); }
static void m_arena_small(uint8_t* b, size_t n) { (void)n; wr32(b + P, 16); }
static void m_reserved(uint8_t* b, size_t n) { (void)n; b[W + 60] = 1; }

/* graph 3: MASK-indexed FWCS records; Wm = the record whose bitmap has unused high bits */
static uint32_t Wm;
static uint32_t mask_bits(const uint8_t* b) {
  return rd32(b + Wm + TPR_FMT_W_COUT) * (uint32_t)(b[Wm + TPR_FMT_W_KH] * b[Wm + TPR_FMT_W_KW]);
}
static uint8_t* mask_of(uint8_t* b) { return b + D + rd32(b + Wm + TPR_FMT_W_POS_OFF); }
static void mm_pad_bit(uint8_t* b, size_t n) { /* an unused high bit of the last byte set */
  (void)n;
  const uint32_t bits = mask_bits(b);
  mask_of(b)[bits / 8] |= (uint8_t)(0x80u);
}
static void mm_clear(uint8_t* b, size_t n) { /* one kept bit cleared: popcount != nkept */
  (void)n;
  uint8_t* m = mask_of(b);
  uint32_t i = 0;
  while (m[i] == 0) ++i;
  m[i] = (uint8_t)(m[i] & (m[i] - 1u));
}
static void mm_set(uint8_t* b, size_t n) { /* one pruned bit set: popcount != nkept */
  (void)n;
  uint8_t* m = mask_of(b);
  uint32_t i = 0;
  while (m[i] == 0xFF) ++i;
  m[i] = (uint8_t)(m[i] | (m[i] + 1u));
}
static void mm_pos_bits(uint8_t* b, size_t n) { (void)n; b[Wm + TPR_FMT_W_POS_BITS] = 4; }
static void mm_rpb(uint8_t* b, size_t n) { (void)n; b[Wm + TPR_FMT_W_ROW_PTR_BYTES] = 1; }
static void mm_row_off(uint8_t* b, size_t n) { (void)n; wr32(b + Wm + TPR_FMT_W_ROW_PTR_OFF, 16); }
static void mm_off_end(uint8_t* b, size_t n) { /* bitmap running past the DATA section */
  uint32_t len;
  sec_off(b, TPR_SEC_DATA, &len);
  (void)n;
  wr32(b + Wm + TPR_FMT_W_POS_OFF, (len & ~15u));
}
static void mm_off_unaligned(uint8_t* b, size_t n) { (void)n; wr32(b + Wm + TPR_FMT_W_POS_OFF, rd32(b + Wm + TPR_FMT_W_POS_OFF) + 1); }
static void mm_nkept(uint8_t* b, size_t n) { /* nkept and values_len both +1: popcount catches it */
  (void)n;
  const uint32_t cin = rd32(b + Wm + TPR_FMT_W_CIN);
  wr32(b + Wm + TPR_FMT_W_NKEPT, rd32(b + Wm + TPR_FMT_W_NKEPT) + 1);
  wr32(b + Wm + TPR_FMT_W_VALUES_LEN, rd32(b + Wm + TPR_FMT_W_VALUES_LEN) + cin);
}
static void mm_cout_huge(uint8_t* b, size_t n) { (void)n; wr32(b + Wm + TPR_FMT_W_COUT, 0x7FFFFFFFu); }

static void test_hostile_mask(void) {
  uint8_t* blob;
  size_t n;
  make_blob(3, 21, &blob, &n);
  W = sec_off(blob, TPR_SEC_WEIGHTS, NULL);
  D = sec_off(blob, TPR_SEC_DATA, NULL);
  uint32_t len;
  sec_off(blob, TPR_SEC_WEIGHTS, &len);
  Wm = 0;
  for (uint32_t r = 0; r < len / TPR_FMT_W_SIZE; ++r) {
    const uint8_t* w = blob + W + r * TPR_FMT_W_SIZE;
    TU_CHECK(w[TPR_FMT_W_KIND] == TPR_WEIGHTS_FWCS && w[TPR_FMT_W_ROW_PTR_BYTES] == 0 &&
                 w[TPR_FMT_W_POS_BITS] == 1 && rd32(w + TPR_FMT_W_ROW_PTR_OFF) == 0,
             "graph 3 record %u is FWCS with the MASK index", r);
    Wm = W + r * TPR_FMT_W_SIZE;
    if (mask_bits(blob) % 8 != 0) break;
  }
  TU_CHECK(mask_bits(blob) % 8 != 0, "graph 3 has a bitmap with unused bits");
  const hostile_case cases[] = {
      {"mask_pad_bit", mm_pad_bit, TPR_ERR_CORRUPT}, {"mask_clear", mm_clear, TPR_ERR_CORRUPT},
      {"mask_set", mm_set, TPR_ERR_CORRUPT}, {"mask_pos_bits", mm_pos_bits, TPR_ERR_CORRUPT},
      {"mask_rpb", mm_rpb, TPR_ERR_CORRUPT}, {"mask_row_off", mm_row_off, TPR_ERR_CORRUPT},
      {"mask_off_end", mm_off_end, TPR_ERR_CORRUPT},
      {"mask_off_unaligned", mm_off_unaligned, TPR_ERR_CORRUPT},
      {"mask_nkept", mm_nkept, TPR_ERR_CORRUPT}, {"mask_cout_huge", mm_cout_huge, TPR_ERR_CORRUPT},
  };
  run_hostile_cases(blob, n, cases, sizeof cases / sizeof cases[0]);
  TU_CHECK(try_blob(blob, n, 0) == TPR_OK, "pristine graph 3");
  free(blob);
}

/* graph 4: EF-indexed FWCS records (format 1.2); We = the record under attack (l >= 1, two
 * consecutive elements in one high bucket, unused bits in the last stream byte) */
static uint32_t We;
static uint32_t rd16(const uint8_t* p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }
static uint32_t ef_u(const uint8_t* b) {
  return rd32(b + We + TPR_FMT_W_COUT) * rd16(b + We + TPR_FMT_W_KH) * rd16(b + We + TPR_FMT_W_KW);
}
static uint32_t ef_n(const uint8_t* b) { return rd32(b + We + TPR_FMT_W_NKEPT); }
static uint32_t ef_l(const uint8_t* b) { return tpr_fmt_ef_low_bits(ef_u(b), ef_n(b)); }
static uint64_t ef_nbits(const uint8_t* b) { return tpr_fmt_ef_bits(ef_u(b), ef_n(b)); }
static uint8_t* ef_of(uint8_t* b) { return b + D + rd32(b + We + TPR_FMT_W_POS_OFF); }
static int getbit(const uint8_t* s, uint64_t i) { return (s[i / 8] >> (i % 8)) & 1; }
static void putbit(uint8_t* s, uint64_t i, int v) {
  s[i / 8] = (uint8_t)(v ? (s[i / 8] | (1u << (i % 8))) : (s[i / 8] & ~(1u << (i % 8))));
}
/* position of the first pair of adjacent ones in the high part (elements i, i+1 in one bucket);
 * *i = the first one's element index; 0 when there is none */
static uint64_t ef_pair(const uint8_t* b, uint32_t* i) {
  const uint8_t* s = b + D + rd32(b + We + TPR_FMT_W_POS_OFF);
  const uint64_t lo = (uint64_t)ef_n(b) * ef_l(b), end = ef_nbits(b);
  uint32_t k = 0;
  for (uint64_t p = lo; p + 1 < end; ++p) {
    if (!getbit(s, p)) continue;
    if (getbit(s, p + 1)) { *i = k; return p; }
    ++k;
  }
  return 0;
}
static void ef_extra_one(uint8_t* b, size_t n) { /* the high part's last bit is always a 0 */
  (void)n;
  putbit(ef_of(b), ef_nbits(b) - 1, 1);
}
static void ef_missing_one(uint8_t* b, size_t n) {
  (void)n;
  uint64_t p = (uint64_t)ef_n(b) * ef_l(b);
  while (!getbit(ef_of(b), p)) ++p;
  putbit(ef_of(b), p, 0);
}
static void ef_repeat(uint8_t* b, size_t n) { /* element i+1 = element i: not increasing */
  (void)n;
  uint32_t i = 0;
  ef_pair(b, &i);
  const uint32_t l = ef_l(b);
  for (uint32_t k = 0; k < l; ++k)
    putbit(ef_of(b), (uint64_t)(i + 1) * l + k, getbit(ef_of(b), (uint64_t)i * l + k));
}
static void ef_swap(uint8_t* b, size_t n) { /* elements i and i+1 (same bucket) swap low bits */
  (void)n;
  uint32_t i = 0;
  ef_pair(b, &i);
  const uint32_t l = ef_l(b);
  for (uint32_t k = 0; k < l; ++k) {
    const int x = getbit(ef_of(b), (uint64_t)i * l + k);
    const int y = getbit(ef_of(b), (uint64_t)(i + 1) * l + k);
    putbit(ef_of(b), (uint64_t)i * l + k, y);
    putbit(ef_of(b), (uint64_t)(i + 1) * l + k, x);
  }
}
static void ef_too_big(uint8_t* b, size_t n) { /* last element's one moved to the last bit: >= u */
  (void)n;
  uint64_t p = ef_nbits(b) - 1;
  while (!getbit(ef_of(b), p)) --p;
  putbit(ef_of(b), p, 0);
  putbit(ef_of(b), ef_nbits(b) - 1, 1);
}
static void ef_trailing(uint8_t* b, size_t n) { (void)n; ef_of(b)[(ef_nbits(b) - 1) / 8] |= 0x80u; }
static void ef_pos_bits(uint8_t* b, size_t n) { (void)n; b[We + TPR_FMT_W_POS_BITS] = 3; }
static void ef_rpb(uint8_t* b, size_t n) { (void)n; b[We + TPR_FMT_W_ROW_PTR_BYTES] = 1; }
static void ef_row_off(uint8_t* b, size_t n) { (void)n; wr32(b + We + TPR_FMT_W_ROW_PTR_OFF, 16); }
static void ef_off_end(uint8_t* b, size_t n) { /* stream running past the DATA section */
  uint32_t len;
  sec_off(b, TPR_SEC_DATA, &len);
  (void)n;
  wr32(b + We + TPR_FMT_W_POS_OFF, (len & ~15u));
}
static void ef_off_unaligned(uint8_t* b, size_t n) { (void)n; wr32(b + We + TPR_FMT_W_POS_OFF, rd32(b + We + TPR_FMT_W_POS_OFF) + 1); }
static void ef_nkept0(uint8_t* b, size_t n) { /* EF needs n >= 1 */
  (void)n;
  wr32(b + We + TPR_FMT_W_NKEPT, 0);
  wr32(b + We + TPR_FMT_W_VALUES_LEN, 0);
}
static void ef_nkept_plus(uint8_t* b, size_t n) { /* nkept and values_len both +1 */
  (void)n;
  const uint32_t cin = rd32(b + We + TPR_FMT_W_CIN);
  wr32(b + We + TPR_FMT_W_NKEPT, rd32(b + We + TPR_FMT_W_NKEPT) + 1);
  wr32(b + We + TPR_FMT_W_VALUES_LEN, rd32(b + We + TPR_FMT_W_VALUES_LEN) + cin);
}
static void ef_nkept_minus(uint8_t* b, size_t n) { /* nkept and values_len both -1 */
  (void)n;
  const uint32_t cin = rd32(b + We + TPR_FMT_W_CIN);
  wr32(b + We + TPR_FMT_W_NKEPT, rd32(b + We + TPR_FMT_W_NKEPT) - 1);
  wr32(b + We + TPR_FMT_W_VALUES_LEN, rd32(b + We + TPR_FMT_W_VALUES_LEN) - cin);
}
static void ef_cout_huge(uint8_t* b, size_t n) { (void)n; wr32(b + We + TPR_FMT_W_COUT, 0x7FFFFFFFu); }
static void ef_as_mask(uint8_t* b, size_t n) { /* the stream read as a bitmap: a 1.1 reader's view */
  (void)n;
  b[We + TPR_FMT_W_POS_BITS] = 1;
}

static void test_hostile_ef(void) {
  uint8_t* blob;
  size_t n;
  make_blob(4, 31, &blob, &n);
  W = sec_off(blob, TPR_SEC_WEIGHTS, NULL);
  D = sec_off(blob, TPR_SEC_DATA, NULL);
  uint32_t len;
  sec_off(blob, TPR_SEC_WEIGHTS, &len);
  int found = 0;
  for (uint32_t r = 0; r < len / TPR_FMT_W_SIZE; ++r) {
    const uint8_t* w = blob + W + r * TPR_FMT_W_SIZE;
    TU_CHECK(w[TPR_FMT_W_KIND] == TPR_WEIGHTS_FWCS && w[TPR_FMT_W_ROW_PTR_BYTES] == 0 &&
                 w[TPR_FMT_W_POS_BITS] == 2 && rd32(w + TPR_FMT_W_ROW_PTR_OFF) == 0,
             "graph 4 record %u is FWCS with the EF index (record 0 by TPR_STORAGE_AUTO)", r);
    We = W + r * TPR_FMT_W_SIZE;
    uint32_t i;
    if (!found && ef_l(blob) >= 1 && ef_nbits(blob) % 8 != 0 && ef_pair(blob, &i) != 0) found = 1;
    if (found) break;
  }
  TU_CHECK(found, "graph 4 has an EF record with l >= 1, a shared bucket and unused bits");
  const hostile_case cases[] = {
      {"ef_extra_one", ef_extra_one, TPR_ERR_CORRUPT}, {"ef_missing_one", ef_missing_one, TPR_ERR_CORRUPT},
      {"ef_repeat", ef_repeat, TPR_ERR_CORRUPT}, {"ef_swap", ef_swap, TPR_ERR_CORRUPT},
      {"ef_too_big", ef_too_big, TPR_ERR_CORRUPT}, {"ef_trailing", ef_trailing, TPR_ERR_CORRUPT},
      {"ef_pos_bits", ef_pos_bits, TPR_ERR_CORRUPT}, {"ef_rpb", ef_rpb, TPR_ERR_CORRUPT},
      {"ef_row_off", ef_row_off, TPR_ERR_CORRUPT}, {"ef_off_end", ef_off_end, TPR_ERR_CORRUPT},
      {"ef_off_unaligned", ef_off_unaligned, TPR_ERR_CORRUPT},
      {"ef_nkept0", ef_nkept0, TPR_ERR_CORRUPT}, {"ef_nkept_plus", ef_nkept_plus, TPR_ERR_CORRUPT},
      {"ef_nkept_minus", ef_nkept_minus, TPR_ERR_CORRUPT},
      {"ef_cout_huge", ef_cout_huge, TPR_ERR_CORRUPT}, {"ef_as_mask", ef_as_mask, TPR_ERR_CORRUPT},
  };
  run_hostile_cases(blob, n, cases, sizeof cases / sizeof cases[0]);
  TU_CHECK(try_blob(blob, n, 0) == TPR_OK, "pristine graph 4");
  /* truncation inside the stream: the blob cut right after the first stream byte, claiming the
   * shorter size with a valid CRC */
  {
    const size_t cut = (size_t)(ef_of(blob) - blob) + 1;
    uint8_t* c = malloc(cut);
    memcpy(c, blob, cut);
    wr32(c + TPR_FMT_HDR_TOTAL_SIZE, (uint32_t)cut);
    fix_crc(c, cut);
    TU_CHECK(try_blob(c, cut, 0) == TPR_ERR_CORRUPT, "blob truncated inside an EF stream");
    free(c);
  }
  free(blob);
}

static void test_hostile(void) {
  uint8_t* blob;
  size_t n;
  make_blob(1, 5, &blob, &n); /* one FWCS conv, row_ptr u16, pos u8 */
  T = sec_off(blob, TPR_SEC_TENSORS, NULL); O = sec_off(blob, TPR_SEC_OPS, NULL);
  W = sec_off(blob, TPR_SEC_WEIGHTS, NULL); P = sec_off(blob, TPR_SEC_PLAN, NULL);
  D = sec_off(blob, TPR_SEC_DATA, NULL);
  TU_CHECK(blob[W] == TPR_WEIGHTS_FWCS && blob[W + 2] == 1 && blob[W + 3] == 4, "graph 1 is FWCS u8/4-bit");
  const hostile_case cases[] = {
      {"version2", m_version2, TPR_ERR_VERSION}, {"version0", m_version0, TPR_ERR_VERSION},
      {"magic", m_magic, TPR_ERR_CORRUPT}, {"flags", m_flags, TPR_ERR_UNSUPPORTED},
      {"total_big", m_total_big, TPR_ERR_CORRUPT}, {"sec_count", m_sec_count, TPR_ERR_CORRUPT},
      {"sec_table", m_sec_table, TPR_ERR_CORRUPT}, {"sec_off", m_sec_off, TPR_ERR_CORRUPT},
      {"sec_len", m_sec_len, TPR_ERR_CORRUPT}, {"sec_dup", m_sec_dup, TPR_ERR_CORRUPT},
      {"sec_unaligned", m_sec_unaligned, TPR_ERR_CORRUPT},
      {"num_tensors", m_num_tensors, TPR_ERR_CORRUPT}, {"num_ops", m_num_ops, TPR_ERR_CORRUPT},
      {"io_id", m_io_id, TPR_ERR_CORRUPT}, {"dim_huge", m_dim_huge, TPR_ERR_CORRUPT},
      {"dim_zero", m_dim_zero, TPR_ERR_CORRUPT}, {"rank5", m_rank5, TPR_ERR_CORRUPT},
      {"scale_nan", m_scale_nan, TPR_ERR_CORRUPT}, {"zp", m_zp, TPR_ERR_CORRUPT},
      {"opcode", m_opcode, TPR_ERR_UNSUPPORTED}, {"op_in", m_op_in, TPR_ERR_CORRUPT},
      {"op_self", m_op_self, TPR_ERR_CORRUPT}, {"op_w", m_op_w, TPR_ERR_CORRUPT},
      {"stride0", m_stride0, TPR_ERR_CORRUPT}, {"pad_big", m_pad_big, TPR_ERR_CORRUPT},
      {"act", m_act, TPR_ERR_CORRUPT}, {"w_values", m_w_values, TPR_ERR_CORRUPT},
      {"w_len", m_w_len, TPR_ERR_CORRUPT}, {"w_bias", m_w_bias, TPR_ERR_CORRUPT},
      {"w_cout", m_w_cout, TPR_ERR_CORRUPT}, {"w_kernel", m_w_kernel, TPR_ERR_UNSUPPORTED},
      {"w_nkept", m_w_nkept, TPR_ERR_CORRUPT}, {"rowptr", m_rowptr, TPR_ERR_CORRUPT},
      {"rowptr_dec", m_rowptr_dec, TPR_ERR_CORRUPT}, {"pos", m_pos, TPR_ERR_CORRUPT},
      {"pos_dup", m_pos_dup, TPR_ERR_CORRUPT}, {"mult_neg", m_mult_neg, TPR_ERR_CORRUPT},
      {"shift", m_shift, TPR_ERR_CORRUPT}, {"bias_big", m_bias_big, TPR_ERR_CORRUPT},
      {"plan_off", m_plan_off, TPR_ERR_CORRUPT}, {"plan_odd", m_plan_odd, TPR_ERR_CORRUPT},
      {"arena_small", m_arena_small, TPR_ERR_CORRUPT}, {"reserved", m_reserved, TPR_ERR_CORRUPT},
  };
  run_hostile_cases(blob, n, cases, sizeof cases / sizeof cases[0]);
  /* the pristine blob passes */
  TU_CHECK(try_blob(blob, n, 0) == TPR_OK, "pristine");
  /* version bump without CRC fix: the version check comes first */
  uint8_t* c = malloc(n);
  memcpy(c, blob, n);
  wr16(c + TPR_FMT_HDR_VERSION, TPR_FMT_VERSION + 1);
  TU_CHECK(try_blob(c, n, 0) == TPR_ERR_VERSION, "version bump");
  free(c);
  free(blob);
}

int main(int argc, char** argv) {
  const int fuzz = argc > 1 ? atoi(argv[1]) : 20000;
  test_hostile();
  test_hostile_mask();
  test_hostile_ef();
  for (int which = 0; which < TG_NUM_GRAPHS; ++which) {
    uint8_t* blob;
    size_t n;
    make_blob(which, 11u + (uint32_t)which, &blob, &n);
    test_truncation(blob, n);
    test_all_bit_flips(blob, n, which == 1 ? 1 : 3);
    test_structural_fuzz(blob, n, fuzz, 1000u + (uint32_t)which);
    free(blob);
  }
  return tu_finish();
}
