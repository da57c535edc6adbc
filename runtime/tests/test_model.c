/* Builder -> tpr_model_init -> tpr_invoke round trips against the brute-force oracle, API
 * argument checks, builder storage/index-width choices, caller-supplied memory plans. */
#include <stdlib.h>
#include <string.h>

#include "graphs.h"
#include "test_util.h"
#include "tpr.h"
#include "tpr_builder.h"

static int run_graph(const tg_graph* g, const void* blob, size_t size, uint32_t seed, int misalign) {
  size_t need = 0;
  tpr_status st = tpr_arena_size(blob, size, &need);
  TU_CHECK(st == TPR_OK, "arena_size: %s", tpr_status_str(st));
  if (st != TPR_OK) return 0;
  uint8_t* raw = malloc(need + (size_t)misalign);
  uint8_t* arena = raw + misalign;
  tpr_model m;
  st = tpr_model_init(blob, size, arena, need, &m);
  TU_CHECK(st == TPR_OK, "init: %s", tpr_status_str(st));
  if (st != TPR_OK) { free(raw); return 0; }
  TU_CHECK(tpr_model_init(blob, size, arena, need - 1, &m) == TPR_ERR_ARENA, "arena - 1");
  st = tpr_model_init(blob, size, arena, need, &m);
  TU_CHECK(tpr_num_inputs(&m) == (size_t)g->num_inputs && tpr_num_outputs(&m) == (size_t)g->num_outputs, "io counts");
  int ok = 1;
  for (int rep = 0; rep < 3; ++rep) {
    int8_t* ins[4];
    int8_t* want[4];
    for (int i = 0; i < g->num_inputs; ++i) {
      const tpr_tensor* v = tpr_input(&m, (size_t)i);
      ins[i] = malloc(v->bytes);
      tg_random_input(g, i, seed * 31u + (uint32_t)rep, ins[i]);
      memcpy(v->data, ins[i], v->bytes);
      TU_CHECK(v->zero_point == g->tensors[g->inputs[i]].zero_point, "input zp");
      TU_CHECK(v->scale == g->tensors[g->inputs[i]].scale, "input scale");
    }
    for (int i = 0; i < g->num_outputs; ++i) want[i] = malloc((size_t)bf_numel(&g->tensors[g->outputs[i]]));
    tg_eval_bf(g, ins, want);
    TU_CHECK(tpr_invoke(&m) == TPR_OK, "invoke");
    for (int i = 0; i < g->num_outputs; ++i) {
      const tpr_tensor* v = tpr_output(&m, (size_t)i);
      const int same = v->bytes == (size_t)bf_numel(&g->tensors[g->outputs[i]]) &&
                       memcmp(v->data, want[i], v->bytes) == 0;
      TU_CHECK(same, "graph output %d rep %d differs from oracle", i, rep);
      ok &= same;
      free(want[i]);
    }
    for (int i = 0; i < g->num_inputs; ++i) free(ins[i]);
  }
  TU_CHECK(tpr_input(&m, (size_t)g->num_inputs) == NULL && tpr_output(&m, 99) == NULL, "view range");
  free(raw);
  return ok;
}

static void test_graphs(void) {
  for (int which = 0; which < TG_NUM_GRAPHS; ++which)
    for (uint32_t seed = 1; seed <= 6; ++seed) {
      tg_graph g;
      tg_make(&g, which, seed);
      void* blob = NULL;
      size_t size = 0;
      tpr_status st = tg_serialize(&g, &blob, &size);
      TU_CHECK(st == TPR_OK, "serialize graph %d: %s", which, tpr_status_str(st));
      if (st == TPR_OK) run_graph(&g, blob, size, seed, (int)(seed % 3));
      free(blob);
      tg_free(&g);
    }
}

static void test_api_args(void) {
  tg_graph g;
  tg_make(&g, 1, 3);
  void* blob;
  size_t size, need;
  tg_serialize(&g, &blob, &size);
  tpr_model m;
  static uint8_t arena[1 << 16];
  TU_CHECK(tpr_arena_size(NULL, size, &need) == TPR_ERR_ARG, "null blob");
  TU_CHECK(tpr_arena_size(blob, size, NULL) == TPR_ERR_ARG, "null out");
  TU_CHECK(tpr_model_init(blob, size, NULL, 100, &m) == TPR_ERR_ARG, "null arena");
  TU_CHECK(tpr_model_init(blob, size, arena, sizeof arena, NULL) == TPR_ERR_ARG, "null model");
  TU_CHECK(tpr_invoke(NULL) == TPR_ERR_ARG, "invoke null");
  memset(&m, 0, sizeof m);
  TU_CHECK(tpr_invoke(&m) == TPR_ERR_ARG, "invoke uninitialised");
  TU_CHECK(tpr_input(NULL, 0) == NULL && tpr_output(&m, 0) == NULL, "views of nothing");
  uint8_t* copy = malloc(size + 1);
  memcpy(copy + 1, blob, size);
  TU_CHECK(tpr_arena_size(copy + 1, size, &need) == TPR_ERR_ARG, "misaligned blob");
  TU_CHECK(tpr_arena_size(blob, size - 1, &need) == TPR_ERR_CORRUPT, "short blob");
  TU_CHECK(tpr_arena_size(blob, size + 1, &need) == TPR_OK, "longer buffer is fine");
  TU_CHECK(strcmp(tpr_status_str(TPR_ERR_VERSION), "TPR_ERR_VERSION") == 0, "status names");
  free(copy);
  free(blob);
  tg_free(&g);
}

static void test_crc32(void) {
  /* zlib / ISO-HDLC check value: what the exporter's CRC must match */
  TU_CHECK(tpr_crc32(0, "123456789", 9) == 0xCBF43926u, "crc32 check value");
  TU_CHECK(tpr_crc32(tpr_crc32(0, "1234", 4), "56789", 5) == 0xCBF43926u, "crc32 incremental");
}

static void test_quantize_multiplier(void) {
  int32_t m, s;
  TU_CHECK(tpr_quantize_multiplier(0.5, &m, &s) == TPR_OK && m == (1 << 30) && s == 0, "0.5 -> %d %d", m, s);
  TU_CHECK(tpr_quantize_multiplier(1.0, &m, &s) == TPR_OK && m == (1 << 30) && s == 1, "1.0");
  TU_CHECK(tpr_quantize_multiplier(0.25, &m, &s) == TPR_OK && m == (1 << 30) && s == -1, "0.25");
  TU_CHECK(tpr_quantize_multiplier(0.0, &m, &s) == TPR_OK && m == 0 && s == 0, "0");
  TU_CHECK(tpr_quantize_multiplier(-1.0, &m, &s) == TPR_ERR_ARG, "negative");
  TU_CHECK(tpr_quantize_multiplier(1e-20, &m, &s) == TPR_OK && m == 0 && s == 0, "tiny flushes");
}

/* one conv layer with chosen storage; checks stats and round-trips through the runtime */
static void one_conv(int cout, int k, int cin, int keep_pct, tpr_storage storage,
                     tpr_fmt_weight_kind want_kind, int want_rpb, int want_pb) {
  uint32_t seed = (uint32_t)(cout * 131 + k * 7 + cin + keep_pct);
  const int h = k + 1;
  tpr_builder_tensor ti = {4, {1, h, h, cin}, 0.1f, 3}, to = {4, {1, 2, 2, cout}, 0.1f, -2};
  const size_t nw = (size_t)cout * k * k * cin;
  int8_t* w = malloc(nw);
  uint8_t* keep = malloc((size_t)cout * k * k);
  int32_t* mult = malloc(4u * cout);
  int32_t* shift = malloc(4u * cout);
  for (size_t i = 0; i < nw; ++i) w[i] = (int8_t)bf_range(&seed, -127, 127);
  for (int f = 0; f < cout * k * k; ++f) keep[f] = bf_range(&seed, 0, 99) < keep_pct;
  for (int o = 0; o < cout; ++o) { mult[o] = 1 << 30; shift[o] = -9; }
  tpr_builder_conv c = {0, 1, 1, 1, 0, 0, 0, 0, -128, 127, TPR_ACT_NONE, cout, k, k, cin,
                        w, keep, NULL, mult, shift, storage};
  tpr_builder b;
  tpr_builder_init(&b, NULL, NULL);
  uint16_t x, y;
  tpr_builder_add_tensor(&b, &ti, &x);
  tpr_builder_add_tensor(&b, &to, &y);
  tpr_weight_stats stats;
  tpr_status st = tpr_builder_add_conv2d(&b, &c, &stats);
  TU_CHECK(st == TPR_OK, "add_conv2d: %s", tpr_status_str(st));
  TU_CHECK(stats.kind == want_kind, "kind %d want %d (cout %d k %d cin %d keep %d)", stats.kind,
           want_kind, cout, k, cin, keep_pct);
  if (want_kind == TPR_WEIGHTS_FWCS)
    TU_CHECK(stats.row_ptr_bytes == want_rpb && stats.pos_bits == want_pb, "widths %d %d",
             stats.row_ptr_bytes, stats.pos_bits);
  tpr_builder_set_io(&b, &x, 1, &y, 1);
  size_t size;
  tpr_builder_blob_size(&b, &size);
  void* blob = malloc(size);
  TU_CHECK(tpr_builder_write(&b, blob, size - 1, &size) == TPR_ERR_ARENA, "write capacity");
  TU_CHECK(tpr_builder_write(&b, blob, size, &size) == TPR_OK, "write");
  tpr_builder_free(&b);
  size_t need;
  st = tpr_arena_size(blob, size, &need);
  TU_CHECK(st == TPR_OK, "arena_size %s", tpr_status_str(st));
  if (st == TPR_OK) {
    void* arena = malloc(need);
    tpr_model m;
    TU_CHECK(tpr_model_init(blob, size, arena, need, &m) == TPR_OK, "init");
    int8_t* in = tpr_input(&m, 0)->data;
    for (int i = 0; i < h * h * cin; ++i) in[i] = (int8_t)bf_range(&seed, -128, 127);
    int8_t* want = malloc((size_t)4 * cout);
    bf_conv2d(&ti, in, &to, want, &c, 0);
    tpr_invoke(&m);
    TU_CHECK(memcmp(tpr_output(&m, 0)->data, want, (size_t)4 * cout) == 0, "one_conv output");
    free(want);
    free(arena);
  }
  free(blob); free(w); free(keep); free(mult); free(shift);
}

static void test_storage_choice(void) {
  /* (row_ptr_bytes, pos_bits) = (0, 1) is the MASK index: the builder takes it whenever the
   * bitmap (ceil(cout*kh*kw/8) bytes) is smaller than CSR's row pointers + positions and than
   * the EF stream; (0, 2) is the EF index, smallest for sparse layers */
  one_conv(16, 3, 16, 100, TPR_STORAGE_AUTO, TPR_WEIGHTS_DENSE, 0, 0);
  one_conv(16, 3, 16, 50, TPR_STORAGE_AUTO, TPR_WEIGHTS_FWCS, 0, 1);   /* mask 18 B < CSR 53 B */
  one_conv(16, 3, 16, 50, TPR_STORAGE_FWCS_CSR, TPR_WEIGHTS_FWCS, 1, 4); /* u8 row_ptr, 4-bit */
  one_conv(64, 3, 16, 60, TPR_STORAGE_AUTO, TPR_WEIGHTS_FWCS, 0, 1);
  one_conv(64, 3, 16, 60, TPR_STORAGE_FWCS_CSR, TPR_WEIGHTS_FWCS, 2, 4); /* > 255 kept: u16 */
  one_conv(8, 5, 8, 50, TPR_STORAGE_AUTO, TPR_WEIGHTS_FWCS, 0, 1);
  one_conv(8, 5, 8, 50, TPR_STORAGE_FWCS_CSR, TPR_WEIGHTS_FWCS, 1, 8); /* 25 taps: u8 pos */
  one_conv(16, 3, 1, 80, TPR_STORAGE_AUTO, TPR_WEIGHTS_FWCS, 0, 1);  /* Cin 1: only a bitmap pays */
  one_conv(16, 3, 1, 97, TPR_STORAGE_AUTO, TPR_WEIGHTS_DENSE, 0, 0); /* index costs > savings */
  one_conv(4, 17, 2, 30, TPR_STORAGE_AUTO, TPR_WEIGHTS_FWCS, 0, 1);  /* 289 taps (> 25: bit walk) */
  one_conv(4, 17, 2, 30, TPR_STORAGE_FWCS_CSR, TPR_WEIGHTS_FWCS, 2, 16); /* u16 positions */
  one_conv(8192, 3, 1, 100, TPR_STORAGE_FWCS_CSR, TPR_WEIGHTS_FWCS, 4, 4); /* u32 row_ptr */
  one_conv(8192, 3, 1, 100, TPR_STORAGE_FWCS, TPR_WEIGHTS_FWCS, 0, 1);
  one_conv(5, 3, 7, 0, TPR_STORAGE_AUTO, TPR_WEIGHTS_FWCS, 1, 4);    /* nothing kept; 6 = 6 B: tie -> CSR */
  one_conv(5, 3, 7, 0, TPR_STORAGE_FWCS_MASK, TPR_WEIGHTS_FWCS, 0, 1); /* empty bitmap */
  one_conv(6, 1, 9, 100, TPR_STORAGE_FWCS, TPR_WEIGHTS_FWCS, 0, 1);  /* forced FWCS 1x1 */
  one_conv(6, 1, 9, 100, TPR_STORAGE_FWCS_CSR, TPR_WEIGHTS_FWCS, 1, 4);
  /* EF (format 1.2): chosen by AUTO at ~10 % kept, forced for every other shape: 289 taps (MVE
   * per-filterlet path), l = 0 (everything kept), a large layer (u = 73728 slots), 1x1, Cin 1 */
  one_conv(32, 3, 16, 10, TPR_STORAGE_AUTO, TPR_WEIGHTS_FWCS, 0, 2);
  one_conv(32, 3, 16, 10, TPR_STORAGE_FWCS, TPR_WEIGHTS_FWCS, 0, 2);
  one_conv(32, 3, 16, 10, TPR_STORAGE_FWCS_MASK, TPR_WEIGHTS_FWCS, 0, 1);
  one_conv(16, 3, 16, 50, TPR_STORAGE_FWCS_EF, TPR_WEIGHTS_FWCS, 0, 2);
  one_conv(4, 17, 2, 30, TPR_STORAGE_FWCS_EF, TPR_WEIGHTS_FWCS, 0, 2);
  one_conv(4, 17, 2, 3, TPR_STORAGE_AUTO, TPR_WEIGHTS_FWCS, 0, 2);
  one_conv(8, 5, 8, 100, TPR_STORAGE_FWCS_EF, TPR_WEIGHTS_FWCS, 0, 2);
  one_conv(8192, 3, 1, 5, TPR_STORAGE_FWCS_EF, TPR_WEIGHTS_FWCS, 0, 2);
  one_conv(6, 1, 9, 60, TPR_STORAGE_FWCS_EF, TPR_WEIGHTS_FWCS, 0, 2);
  one_conv(16, 3, 1, 20, TPR_STORAGE_FWCS_EF, TPR_WEIGHTS_FWCS, 0, 2);

  /* the byte counts tpr_builder_weight_stats() predicts (the exporter and the pruners use them) */
  tpr_weight_stats s;
  /* 32x3x3x16 at 90 % filterlet sparsity (32 of 288 kept): EF, l = 3, 96 + 32 + 36 = 164 bits
   * = 21 bytes: (512 + 21 + 288) / (512 + 288) = 1.026 <= 1.03 */
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 32, 3, 3, 16, 32, TPR_STORAGE_AUTO, &s) == TPR_OK &&
               s.kind == TPR_WEIGHTS_FWCS && s.row_ptr_bytes == 0 && s.pos_bits == 2 &&
               s.index_bytes == 21 && s.values_bytes == 512 && s.quant_bytes == 288,
           "32x3x3x16, 32 kept: 21-byte EF stream (index %u, pos_bits %u)", s.index_bytes, s.pos_bits);
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 32, 3, 3, 16, 32, TPR_STORAGE_FWCS, &s) == TPR_OK &&
               s.pos_bits == 2 && s.index_bytes == 21, "FWCS forced: smallest index = EF");
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 32, 3, 3, 16, 32, TPR_STORAGE_FWCS_EF, &s) == TPR_OK &&
               s.kind == TPR_WEIGHTS_FWCS && s.row_ptr_bytes == 0 && s.pos_bits == 2 && s.index_bytes == 21,
           "EF forced");
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 32, 3, 3, 16, 32, TPR_STORAGE_FWCS_MASK, &s) == TPR_OK &&
               s.row_ptr_bytes == 0 && s.pos_bits == 1 && s.index_bytes == 36,
           "MASK forced: 36-byte bitmap (index %u)", s.index_bytes);
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 32, 3, 3, 16, 32, TPR_STORAGE_FWCS_CSR, &s) == TPR_OK &&
               s.row_ptr_bytes == 1 && s.pos_bits == 4 && s.index_bytes == 33 + 16,
           "CSR forced: 33 row pointers + 16 position bytes (index %u)", s.index_bytes);
  /* EF sizes: 288 slots, 144 kept: l = 1, 144 + 144 + 144 = 432 bits = 54 B (MASK wins, 36 B);
   * everything kept (l = 0): n + u = 576 bits = 72 B */
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 32, 3, 3, 16, 144, TPR_STORAGE_FWCS_EF, &s) == TPR_OK &&
               s.index_bytes == 54, "EF 144 of 288: %u", s.index_bytes);
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 32, 3, 3, 16, 144, TPR_STORAGE_AUTO, &s) == TPR_OK &&
               s.pos_bits == 1 && s.index_bytes == 36, "AUTO 144 of 288: MASK");
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 32, 3, 3, 16, 288, TPR_STORAGE_FWCS_EF, &s) == TPR_OK &&
               s.index_bytes == 72, "EF 288 of 288: %u", s.index_bytes);
  /* ties: MASK = EF -> MASK (3 slots, 1 kept: l = 1, 1 + 1 + 2 = 4 bits = 1 B = the bitmap; one
   * 3x3 filter, 2 kept: l = 2, 4 + 2 + 3 = 9 bits = 2 B = the bitmap); CSR = MASK -> CSR (nothing
   * kept, EF impossible: forcing it is an argument error) */
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 3, 1, 1, 8, 1, TPR_STORAGE_AUTO, &s) == TPR_OK &&
               s.kind == TPR_WEIGHTS_FWCS && s.index_bytes == 1 && s.values_bytes == 8 && s.pos_bits == 1,
           "3 filters, 1 kept: 1-byte bitmap (tie with EF)");
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 3, 1, 1, 8, 1, TPR_STORAGE_FWCS_EF, &s) == TPR_OK &&
               s.index_bytes == 1 && s.pos_bits == 2, "3 filters, 1 kept, EF forced: 1 byte");
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 1, 3, 3, 8, 2, TPR_STORAGE_FWCS, &s) == TPR_OK &&
               s.index_bytes == 2 && s.pos_bits == 1, "1 filter 3x3, 2 kept: MASK on the tie with EF");
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 1, 3, 3, 8, 2, TPR_STORAGE_FWCS_EF, &s) == TPR_OK &&
               s.index_bytes == 2, "1 filter 3x3, 2 kept, EF: 2 bytes");
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 5, 3, 3, 7, 0, TPR_STORAGE_FWCS, &s) == TPR_OK &&
               s.row_ptr_bytes == 1 && s.index_bytes == 6, "nothing kept: CSR on the tie with MASK");
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 5, 3, 3, 7, 0, TPR_STORAGE_FWCS_EF, &s) == TPR_ERR_ARG,
           "EF with nothing kept");
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_1HWO, 5, 3, 3, 1, 0, TPR_STORAGE_FWCS_EF, &s) == TPR_OK &&
               s.kind == TPR_WEIGHTS_DENSE, "depthwise stays dense");
  TU_CHECK(tpr_builder_weight_stats(TPR_LAYOUT_OHWI, 4, 3, 3, 4, 4, (tpr_storage)7, &s) == TPR_ERR_ARG,
           "unknown storage value");
  /* forcing EF on a conv without kept filterlets fails in the builder (sticky) */
  {
    int8_t w[2 * 9 * 3] = {0};
    uint8_t keep[2 * 9] = {0};
    int32_t mult[2] = {1 << 30, 1 << 30}, shift[2] = {-3, -3};
    tpr_builder_conv c = {0, 1, 1, 1, 0, 0, 0, 0, -128, 127, TPR_ACT_NONE, 2, 3, 3, 3,
                          w, keep, NULL, mult, shift, TPR_STORAGE_FWCS_EF};
    tpr_builder_tensor ti = {4, {1, 3, 3, 3}, 0.1f, 0}, to = {4, {1, 1, 1, 2}, 0.1f, 0};
    tpr_builder b;
    uint16_t x, y;
    tpr_builder_init(&b, NULL, NULL);
    tpr_builder_add_tensor(&b, &ti, &x);
    tpr_builder_add_tensor(&b, &to, &y);
    TU_CHECK(tpr_builder_add_conv2d(&b, &c, NULL) == TPR_ERR_ARG, "EF forced, nothing kept");
    tpr_builder_free(&b);
  }
}

static void test_explicit_plan(void) {
  tg_graph g;
  tg_make(&g, 0, 9);
  tpr_builder b;
  uint16_t id;
  tpr_builder_init(&b, NULL, NULL);
  uint32_t offs[TG_MAX_TENSORS], arena = 0;
  for (int t = 0; t < g.num_tensors; ++t) {
    tpr_builder_add_tensor(&b, &g.tensors[t], &id);
    offs[t] = arena;
    arena += (uint32_t)((bf_numel(&g.tensors[t]) + 3) & ~3);
  }
  for (int i = 0; i < g.num_layers; ++i) {
    const tg_layer* L = &g.layers[i];
    if (L->kind == TG_CONV) tpr_builder_add_conv2d(&b, &L->conv, NULL);
    else if (L->kind == TG_DW) tpr_builder_add_depthwise_conv2d(&b, &L->conv, NULL);
    else if (L->kind == TG_FC) tpr_builder_add_fully_connected(&b, &L->fc, NULL);
    else if (L->kind == TG_ADD) tpr_builder_add_add(&b, &L->add);
    else if (L->kind == TG_MAXPOOL) tpr_builder_add_max_pool(&b, &L->pool);
    else if (L->kind == TG_AVGPOOL) tpr_builder_add_avg_pool(&b, &L->pool);
    else if (L->kind == TG_GAP) tpr_builder_add_global_avg_pool(&b, &L->gap);
    else tpr_builder_add_reshape(&b, L->in, L->out);
  }
  tpr_builder_set_io(&b, g.inputs, (size_t)g.num_inputs, g.outputs, (size_t)g.num_outputs);
  TU_CHECK(tpr_builder_set_plan(&b, arena, offs, (size_t)g.num_tensors) == TPR_OK, "set_plan");
  size_t size;
  tpr_builder_blob_size(&b, &size);
  void* blob = malloc(size);
  TU_CHECK(tpr_builder_write(&b, blob, size, &size) == TPR_OK, "write");
  tpr_builder_free(&b);
  run_graph(&g, blob, size, 9, 0);
  free(blob);

  /* a plan that puts every tensor at offset 0 must be rejected (live tensors overlap) */
  tpr_builder_init(&b, NULL, NULL);
  for (int t = 0; t < g.num_tensors; ++t) { tpr_builder_add_tensor(&b, &g.tensors[t], &id); offs[t] = 0; }
  tpr_builder_add_conv2d(&b, &g.layers[0].conv, NULL);
  tpr_builder_add_depthwise_conv2d(&b, &g.layers[1].conv, NULL);
  tpr_builder_set_io(&b, g.inputs, 1, &g.layers[1].conv.output, 1);
  tpr_builder_set_plan(&b, 4096, offs, (size_t)g.num_tensors);
  tpr_builder_blob_size(&b, &size);
  blob = malloc(size);
  tpr_builder_write(&b, blob, size, &size);
  tpr_builder_free(&b);
  size_t need;
  TU_CHECK(tpr_arena_size(blob, size, &need) == TPR_ERR_CORRUPT, "overlapping plan rejected");
  free(blob);
  tg_free(&g);
}

static void test_builder_errors(void) {
  tpr_builder b;
  tpr_builder_init(&b, NULL, NULL);
  tpr_builder_tensor bad = {5, {1, 1, 1, 1}, 1.0f, 0};
  uint16_t id;
  TU_CHECK(tpr_builder_add_tensor(&b, &bad, &id) == TPR_ERR_ARG, "bad rank");
  size_t size;
  TU_CHECK(tpr_builder_blob_size(&b, &size) == TPR_ERR_ARG, "sticky error");
  tpr_builder_free(&b);
  tpr_builder_init(&b, NULL, NULL);
  TU_CHECK(tpr_builder_blob_size(&b, &size) == TPR_ERR_ARG, "empty graph");
  tpr_builder_free(&b);
}

int main(void) {
  test_crc32();
  test_quantize_multiplier();
  test_graphs();
  test_api_args();
  test_storage_choice();
  test_explicit_plan();
  test_builder_errors();
  return tu_finish();
}
