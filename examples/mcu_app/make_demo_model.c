/* Host tool: writes a demo model.h for the example app (until the C++ exporter produces real
 * ones): a small int8 CNN built with tpr_builder (deterministic random weights, one FWCS conv),
 * some test images, and as labels the classes the host runtime predicts for them.
 *   make_demo_model OUT.h
 * Network: 16x16x3 -> conv3x3 16 ReLU -> maxpool2 -> conv3x3 32 ReLU (FWCS, 50 % filterlets)
 *          -> global avg pool -> FC 10. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpr.h"
#include "tpr_builder.h"

#define NUM_IMAGES 8
static uint32_t rng = 7;
static uint32_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

static void conv(tpr_builder* b, uint16_t in, uint16_t out, int cin, int cout, int keep_pct,
                 float s_in, float s_out) {
  int8_t* w = malloc((size_t)cout * 9 * cin);
  uint8_t* keep = malloc((size_t)cout * 9);
  int32_t *bias = malloc(4u * cout), *mult = malloc(4u * cout), *shift = malloc(4u * cout);
  for (int i = 0; i < cout * 9 * cin; ++i) w[i] = (int8_t)((int32_t)(rnd() % 255) - 127);
  for (int i = 0; i < cout * 9; ++i) keep[i] = (int)(rnd() % 100) < keep_pct;
  /* per-channel weight scales chosen so that activations spread over the int8 range:
   * s_in * s_w[o] / s_out ~ 1 / (40 * sqrt(9 * cin)) */
  (void)s_in; (void)s_out;
  for (int o = 0; o < cout; ++o) {
    bias[o] = (int32_t)(rnd() % 2001) - 1000;
    const double real = (0.75 + (rnd() % 500) / 1000.0) / (40.0 * sqrt(9.0 * cin));
    tpr_quantize_multiplier(real, &mult[o], &shift[o]);
  }
  tpr_builder_conv c = {in, out, 1, 1, 1, 1, 1, 1, -128, 127, TPR_ACT_RELU, cout, 3, 3, cin,
                        w, keep, bias, mult, shift, TPR_STORAGE_AUTO};
  tpr_weight_stats st;
  tpr_builder_add_conv2d(b, &c, &st);
  fprintf(stderr, "conv %d->%d: %s, %u weight bytes (dense %u)\n", cin, cout,
          st.kind == TPR_WEIGHTS_FWCS ? "FWCS" : "dense", st.values_bytes + st.index_bytes,
          st.dense_bytes);
  free(w); free(keep); free(bias); free(mult); free(shift);
}

static void emit(FILE* f, const char* decl, const uint8_t* p, size_t n, int is_signed) {
  fprintf(f, "%s = {", decl);
  for (size_t i = 0; i < n; ++i)
    fprintf(f, "%s%d,", i % 24 ? " " : "\n  ", is_signed ? (int)(int8_t)p[i] : (int)p[i]);
  fprintf(f, "\n};\n");
}

int main(int argc, char** argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s OUT.h\n", argv[0]); return 2; }
  tpr_builder b;
  tpr_builder_init(&b, NULL, NULL);
  const tpr_builder_tensor tx = {4, {1, 16, 16, 3}, 1.0f / 128, 0};
  const tpr_builder_tensor t1 = {4, {1, 16, 16, 16}, 0.05f, -128};
  const tpr_builder_tensor t2 = {4, {1, 8, 8, 16}, 0.05f, -128};
  const tpr_builder_tensor t3 = {4, {1, 8, 8, 32}, 0.05f, -128};
  const tpr_builder_tensor t4 = {2, {1, 32}, 0.05f, -128};
  const tpr_builder_tensor ty = {2, {1, 10}, 0.1f, 0};
  uint16_t x, a, p, c, g, y;
  tpr_builder_add_tensor(&b, &tx, &x);
  tpr_builder_add_tensor(&b, &t1, &a);
  tpr_builder_add_tensor(&b, &t2, &p);
  tpr_builder_add_tensor(&b, &t3, &c);
  tpr_builder_add_tensor(&b, &t4, &g);
  tpr_builder_add_tensor(&b, &ty, &y);
  conv(&b, x, a, 3, 16, 100, tx.scale, t1.scale);
  tpr_builder_pool mp = {a, p, 2, 2, 2, 2, 0, 0, 0, 0, -128, 127};
  tpr_builder_add_max_pool(&b, &mp);
  conv(&b, p, c, 16, 32, 50, t2.scale, t3.scale);
  tpr_builder_gap gp = {c, g, 0, 0, -128, 127};
  tpr_quantize_multiplier(1.0 / 64.0, &gp.multiplier, &gp.shift);
  tpr_builder_add_global_avg_pool(&b, &gp);
  int8_t fw[10 * 32];
  int32_t fb[10], fm[10], fs[10];
  for (int i = 0; i < 320; ++i) fw[i] = (int8_t)((int32_t)(rnd() % 255) - 127);
  for (int o = 0; o < 10; ++o) {
    fb[o] = (int32_t)(rnd() % 401) - 200;
    tpr_quantize_multiplier(1.0 / (20.0 * sqrt(32.0)), &fm[o], &fs[o]);
  }
  tpr_builder_fc fc = {g, y, 32, 10, fw, fb, fm, fs, -128, 127, TPR_ACT_NONE};
  tpr_builder_add_fully_connected(&b, &fc, NULL);
  tpr_builder_set_io(&b, &x, 1, &y, 1);
  size_t size;
  if (tpr_builder_blob_size(&b, &size) != TPR_OK) { fprintf(stderr, "builder failed\n"); return 1; }
  uint8_t* blob = malloc(size);
  tpr_builder_write(&b, blob, size, &size);
  tpr_builder_free(&b);

  size_t need;
  if (tpr_arena_size(blob, size, &need) != TPR_OK) return 1;
  void* arena = malloc(need);
  tpr_model m;
  if (tpr_model_init(blob, size, arena, need, &m) != TPR_OK) return 1;
  int8_t images[NUM_IMAGES][16 * 16 * 3];
  uint8_t labels[NUM_IMAGES];
  for (int i = 0; i < NUM_IMAGES; ++i) {
    for (int k = 0; k < 16 * 16 * 3; ++k) { /* smooth random patterns */
      const int yy = k / 48, xx = (k / 3) % 16, ch = k % 3;
      images[i][k] = (int8_t)(((int)((rnd() % 64)) - 32) + (int)(60 * sin(0.3 * (i + 1) * xx + ch) * cos(0.2 * yy * (ch + 1))));
    }
    memcpy(tpr_input(&m, 0)->data, images[i], sizeof images[i]);
    tpr_invoke(&m);
    const tpr_tensor* o = tpr_output(&m, 0);
    size_t best = 0;
    for (size_t k = 1; k < o->bytes; ++k)
      if (o->data[k] > o->data[best]) best = k;
    labels[i] = (uint8_t)best;
  }
  FILE* f = fopen(argv[1], "w");
  if (!f) { perror(argv[1]); return 1; }
  fprintf(f, "/* Generated by make_demo_model: demo int8 CNN for examples/mcu_app. */\n");
  fprintf(f, "#ifndef MODEL_H\n#define MODEL_H\n#include <stddef.h>\n#include <stdint.h>\n\n");
  /* scratch differs per kernel set (host/MVE/DSP): reserve the host figure plus a margin; the app
   * checks tpr_arena_size() on the target at startup */
  fprintf(f, "#define MODEL_ARENA_SIZE %u\n", (unsigned)(need + need / 2 + 4096));
  fprintf(f, "#define MODEL_NUM_TEST_IMAGES %d\n", NUM_IMAGES);
  fprintf(f, "static const size_t model_blob_size = %u;\n", (unsigned)size);
  emit(f, "static const uint8_t model_blob[] __attribute__((aligned(16)))", blob, size, 0);
  fprintf(f, "static const int8_t model_test_images[%d][%d] = {\n", NUM_IMAGES, 16 * 16 * 3);
  for (int i = 0; i < NUM_IMAGES; ++i) {
    fprintf(f, "  {");
    for (int k = 0; k < 16 * 16 * 3; ++k) fprintf(f, "%s%d,", k % 24 ? " " : "\n    ", images[i][k]);
    fprintf(f, "\n  },\n");
  }
  fprintf(f, "};\n");
  emit(f, "static const uint8_t model_test_labels[]", labels, NUM_IMAGES, 0);
  fprintf(f, "#endif\n");
  fclose(f);
  free(arena);
  free(blob);
  return 0;
}
