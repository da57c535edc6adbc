#include "graphs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void* own(tg_graph* g, size_t n) {
  void* p = calloc(1, n ? n : 1);
  g->allocs[g->num_allocs++] = p;
  return p;
}

static uint16_t tensor(tg_graph* g, int rank, int n, int h, int w, int c, float scale, int zp) {
  tpr_builder_tensor* t = &g->tensors[g->num_tensors];
  memset(t, 0, sizeof *t);
  t->rank = rank;
  if (rank == 4) { t->dims[0] = n; t->dims[1] = h; t->dims[2] = w; t->dims[3] = c; }
  else { t->dims[0] = n; t->dims[1] = c; }
  t->scale = scale;
  t->zero_point = zp;
  return (uint16_t)g->num_tensors++;
}

/* per-channel (mult, shift) so that outputs spread over the int8 range */
static void quant(tg_graph* g, int cout, int64_t k, int32_t** mult, int32_t** shift) {
  *mult = (int32_t*)own(g, 4u * cout);
  *shift = (int32_t*)own(g, 4u * cout);
  for (int o = 0; o < cout; ++o) {
    double real = (0.5 + (bf_rand(&g->seed) % 1000) / 1000.0) / (sqrt((double)k) * 60.0);
    tpr_quantize_multiplier(real, &(*mult)[o], &(*shift)[o]);
  }
}

static int out_extent(int in, int pa, int pb, int k, int s) { return (in + pa + pb - k) / s + 1; }

/* conv or depthwise with random weights; keep_pct = percentage of kept filterlets */
static uint16_t conv(tg_graph* g, uint16_t in, int cout, int k, int stride, int pad_lo, int pad_hi,
                     int keep_pct, int empty_filters, int relu, int depthwise, tpr_storage st) {
  const tpr_builder_tensor* ti = &g->tensors[in];
  const int cin = ti->dims[3];
  const int oh = out_extent(ti->dims[1], pad_lo, pad_hi, k, stride);
  const int ow = out_extent(ti->dims[2], pad_lo, pad_hi, k, stride);
  const int zp = relu ? bf_range(&g->seed, -60, -20) : bf_range(&g->seed, -20, 20);
  uint16_t out = tensor(g, 4, ti->dims[0], oh, ow, cout, 0.05f, zp);
  tg_layer* L = &g->layers[g->num_layers++];
  memset(L, 0, sizeof *L);
  L->kind = depthwise ? TG_DW : TG_CONV;
  tpr_builder_conv* c = &L->conv;
  c->input = in; c->output = out;
  c->stride_h = c->stride_w = stride;
  c->pad_top = c->pad_left = pad_lo;
  c->pad_bottom = c->pad_right = pad_hi;
  c->act_min = relu ? zp : -128;
  c->act_max = 127;
  c->act = relu ? TPR_ACT_RELU : TPR_ACT_NONE;
  c->cout = cout; c->kh = c->kw = k; c->cin = cin;
  const int64_t nw = depthwise ? (int64_t)k * k * cout : (int64_t)cout * k * k * cin;
  int8_t* w = (int8_t*)own(g, (size_t)nw);
  for (int64_t i = 0; i < nw; ++i) w[i] = (int8_t)bf_range(&g->seed, -127, 127);
  c->weights = w;
  if (!depthwise && keep_pct < 100) {
    uint8_t* keep = (uint8_t*)own(g, (size_t)cout * k * k);
    for (int f = 0; f < cout * k * k; ++f) keep[f] = (int)(bf_rand(&g->seed) % 100) < keep_pct;
    for (int e = 0; e < empty_filters && e < cout; ++e)
      memset(keep + (size_t)((e * 7) % cout) * k * k, 0, (size_t)k * k);
    c->keep = keep;
  }
  int32_t* bias = (int32_t*)own(g, 4u * cout);
  for (int o = 0; o < cout; ++o) bias[o] = bf_range(&g->seed, -3000, 3000);
  c->bias = bias;
  int32_t *m, *s;
  quant(g, cout, depthwise ? k * k : (int64_t)k * k * cin, &m, &s);
  c->multiplier = m; c->shift = s;
  c->storage = st;
  return out;
}

static uint16_t fc(tg_graph* g, uint16_t in, int out_features) {
  const int64_t numel = bf_numel(&g->tensors[in]);
  const int batches = g->tensors[in].dims[0];
  const int in_features = (int)(numel / batches);
  uint16_t out = tensor(g, 2, batches, 0, 0, out_features, 0.1f, bf_range(&g->seed, -10, 10));
  tg_layer* L = &g->layers[g->num_layers++];
  memset(L, 0, sizeof *L);
  L->kind = TG_FC;
  tpr_builder_fc* f = &L->fc;
  f->input = in; f->output = out; f->in_features = in_features; f->out_features = out_features;
  int8_t* w = (int8_t*)own(g, (size_t)in_features * out_features);
  for (int i = 0; i < in_features * out_features; ++i) w[i] = (int8_t)bf_range(&g->seed, -127, 127);
  int32_t* bias = (int32_t*)own(g, 4u * out_features);
  for (int o = 0; o < out_features; ++o) bias[o] = bf_range(&g->seed, -5000, 5000);
  int32_t *m, *s;
  quant(g, out_features, in_features, &m, &s);
  f->weights = w; f->bias = bias; f->multiplier = m; f->shift = s;
  f->act_min = -128; f->act_max = 127;
  return out;
}

static uint16_t add(tg_graph* g, uint16_t a, uint16_t b) {
  tpr_builder_tensor t = g->tensors[a];
  uint16_t out = tensor(g, 4, t.dims[0], t.dims[1], t.dims[2], t.dims[3], 0.08f, 3);
  tg_layer* L = &g->layers[g->num_layers++];
  memset(L, 0, sizeof *L);
  L->kind = TG_ADD;
  tpr_builder_add* p = &L->add;
  p->input0 = a; p->input1 = b; p->output = out;
  /* TFLite recipe: twice_max = 2*max(s0, s1); in_i = s_i / twice_max; out = twice_max /
   * (2^20 * s_out) */
  const double s0 = g->tensors[a].scale, s1 = g->tensors[b].scale, so = 0.08;
  const double tm = 2.0 * (s0 > s1 ? s0 : s1);
  p->left_shift = 20;
  tpr_quantize_multiplier(s0 / tm, &p->input0_mult, &p->input0_shift);
  tpr_quantize_multiplier(s1 / tm, &p->input1_mult, &p->input1_shift);
  tpr_quantize_multiplier(tm / ((double)(1 << 20) * so), &p->output_mult, &p->output_shift);
  p->act_min = -128; p->act_max = 127;
  return out;
}

static uint16_t pool(tg_graph* g, uint16_t in, int is_max, int k, int stride, int pad_lo, int pad_hi) {
  const tpr_builder_tensor t = g->tensors[in];
  uint16_t out = tensor(g, 4, t.dims[0], out_extent(t.dims[1], pad_lo, pad_hi, k, stride),
                        out_extent(t.dims[2], pad_lo, pad_hi, k, stride), t.dims[3], t.scale,
                        t.zero_point);
  tg_layer* L = &g->layers[g->num_layers++];
  memset(L, 0, sizeof *L);
  L->kind = is_max ? TG_MAXPOOL : TG_AVGPOOL;
  tpr_builder_pool* p = &L->pool;
  p->input = in; p->output = out;
  p->kernel_h = p->kernel_w = k; p->stride_h = p->stride_w = stride;
  p->pad_top = p->pad_left = pad_lo; p->pad_bottom = p->pad_right = pad_hi;
  p->act_min = -128; p->act_max = 127;
  return out;
}

static uint16_t gap(tg_graph* g, uint16_t in) {
  const tpr_builder_tensor t = g->tensors[in];
  uint16_t out = tensor(g, 2, t.dims[0], 0, 0, t.dims[3], t.scale, t.zero_point);
  tg_layer* L = &g->layers[g->num_layers++];
  memset(L, 0, sizeof *L);
  L->kind = TG_GAP;
  L->gap.input = in; L->gap.output = out;
  tpr_quantize_multiplier(1.0 / (t.dims[1] * t.dims[2]), &L->gap.multiplier, &L->gap.shift);
  L->gap.act_min = -128; L->gap.act_max = 127;
  return out;
}

static uint16_t reshape(tg_graph* g, uint16_t in) {
  const tpr_builder_tensor t = g->tensors[in];
  uint16_t out = tensor(g, 2, t.dims[0], 0, 0, (int)(bf_numel(&t) / t.dims[0]), t.scale, t.zero_point);
  tg_layer* L = &g->layers[g->num_layers++];
  memset(L, 0, sizeof *L);
  L->kind = TG_RESHAPE;
  L->in = in; L->out = out;
  return out;
}

void tg_make(tg_graph* g, int which, uint32_t seed) {
  memset(g, 0, sizeof *g);
  g->seed = seed ? seed : 1;
  if (which == 0) {
    uint16_t x = tensor(g, 4, 1, 12, 12, 3, 0.02f, -5);
    uint16_t c1 = conv(g, x, 8, 3, 1, 1, 1, 50, 1, 1, 0, TPR_STORAGE_AUTO);
    uint16_t c2 = conv(g, c1, 8, 3, 1, 1, 1, 100, 0, 0, 1, TPR_STORAGE_DENSE);
    uint16_t c3 = conv(g, c2, 8, 1, 1, 0, 0, 100, 0, 0, 0, TPR_STORAGE_DENSE);
    uint16_t a1 = add(g, c1, c3);
    uint16_t m1 = pool(g, a1, 1, 2, 2, 0, 0);
    uint16_t c4 = conv(g, m1, 16, 3, 2, 0, 1, 70, 2, 1, 0, TPR_STORAGE_DENSE);
    uint16_t ap = pool(g, c4, 0, 2, 1, 0, 1);
    uint16_t gp = gap(g, ap);
    uint16_t o1 = fc(g, gp, 10);
    uint16_t fl = reshape(g, ap);
    uint16_t o2 = fc(g, fl, 7);
    g->inputs[0] = x; g->num_inputs = 1;
    g->outputs[0] = o1; g->outputs[1] = o2; g->num_outputs = 2;
  } else if (which == 1) {
    uint16_t x = tensor(g, 4, 1, 8, 8, 20, 0.03f, 7);
    uint16_t y = conv(g, x, 24, 3, 2, 1, 1, 40, 3, 0, 0, TPR_STORAGE_FWCS_CSR);
    g->inputs[0] = x; g->num_inputs = 1;
    g->outputs[0] = y; g->num_outputs = 1;
  } else if (which == 3) {
    /* MASK-indexed FWCS chain: Cin 16 and 32 (MVE fast paths, groups straddling output rows),
     * Cin 12 with stride 2 and asymmetric padding, empty filters, a ReLU */
    uint16_t x = tensor(g, 4, 1, 9, 10, 16, 0.03f, -3);
    uint16_t c1 = conv(g, x, 32, 3, 1, 1, 1, 45, 3, 1, 0, TPR_STORAGE_FWCS_MASK);
    uint16_t c2 = conv(g, c1, 12, 3, 1, 1, 1, 30, 2, 0, 0, TPR_STORAGE_FWCS_MASK);
    uint16_t c3 = conv(g, c2, 7, 3, 2, 0, 1, 60, 1, 0, 0, TPR_STORAGE_FWCS_MASK);
    g->inputs[0] = x; g->num_inputs = 1;
    g->outputs[0] = c3; g->outputs[1] = c1; g->num_outputs = 2;
  } else if (which == 4) {
    /* EF-indexed FWCS chain: Cin 16 and 32 (MVE fast paths), Cin 24 (MVE runs on interleaved
     * rows, DSP paired groups), Cin 7 with a 7x7 kernel (49 taps: MVE per-filterlet cursor
     * path, DSP padded groups), empty filters, a ReLU, stride 2 */
    uint16_t x = tensor(g, 4, 1, 9, 10, 16, 0.03f, 4);
    uint16_t c1 = conv(g, x, 32, 3, 1, 1, 1, 10, 2, 1, 0, TPR_STORAGE_AUTO);
    uint16_t c2 = conv(g, c1, 24, 3, 1, 1, 1, 20, 3, 0, 0, TPR_STORAGE_FWCS_EF);
    uint16_t c3 = conv(g, c2, 7, 3, 2, 0, 1, 50, 1, 0, 0, TPR_STORAGE_FWCS_EF);
    uint16_t c4 = conv(g, c3, 6, 7, 1, 3, 3, 30, 1, 0, 0, TPR_STORAGE_FWCS_EF);
    g->inputs[0] = x; g->num_inputs = 1;
    g->outputs[0] = c4; g->outputs[1] = c1; g->num_outputs = 2;
  } else {
    uint16_t x0 = tensor(g, 4, 2, 6, 5, 4, 0.02f, 0);
    uint16_t x1 = tensor(g, 4, 2, 6, 5, 6, 0.03f, -9);
    uint16_t a = conv(g, x0, 12, 3, 1, 1, 1, 60, 1, 0, 0, TPR_STORAGE_FWCS);
    uint16_t b = conv(g, x1, 12, 1, 1, 0, 0, 100, 0, 1, 0, TPR_STORAGE_AUTO);
    uint16_t s = add(g, a, b);
    uint16_t d = conv(g, s, 24, 3, 2, 1, 1, 100, 0, 1, 1, TPR_STORAGE_DENSE);
    uint16_t gp = gap(g, d);
    uint16_t o = fc(g, gp, 5);
    g->inputs[0] = x0; g->inputs[1] = x1; g->num_inputs = 2;
    g->outputs[0] = o; g->outputs[1] = s; g->num_outputs = 2;
  }
}

void tg_free(tg_graph* g) {
  for (int i = 0; i < g->num_allocs; ++i) free(g->allocs[i]);
  g->num_allocs = 0;
}

tpr_status tg_serialize(const tg_graph* g, void** blob, size_t* size) {
  tpr_builder b;
  uint16_t id;
  tpr_builder_init(&b, NULL, NULL);
  for (int t = 0; t < g->num_tensors; ++t) tpr_builder_add_tensor(&b, &g->tensors[t], &id);
  for (int i = 0; i < g->num_layers; ++i) {
    const tg_layer* L = &g->layers[i];
    switch (L->kind) {
      case TG_CONV: tpr_builder_add_conv2d(&b, &L->conv, NULL); break;
      case TG_DW: tpr_builder_add_depthwise_conv2d(&b, &L->conv, NULL); break;
      case TG_FC: tpr_builder_add_fully_connected(&b, &L->fc, NULL); break;
      case TG_ADD: tpr_builder_add_add(&b, &L->add); break;
      case TG_MAXPOOL: tpr_builder_add_max_pool(&b, &L->pool); break;
      case TG_AVGPOOL: tpr_builder_add_avg_pool(&b, &L->pool); break;
      case TG_GAP: tpr_builder_add_global_avg_pool(&b, &L->gap); break;
      case TG_RESHAPE: tpr_builder_add_reshape(&b, L->in, L->out); break;
    }
  }
  tpr_builder_set_io(&b, g->inputs, (size_t)g->num_inputs, g->outputs, (size_t)g->num_outputs);
  tpr_status st = tpr_builder_blob_size(&b, size);
  if (st == TPR_OK) {
    *blob = malloc(*size);
    st = tpr_builder_write(&b, *blob, *size, size);
  }
  tpr_builder_free(&b);
  return st;
}

void tg_random_input(const tg_graph* g, int i, uint32_t seed, int8_t* out) {
  uint32_t s = seed * 2654435761u + (uint32_t)i + 1u;
  for (int64_t k = 0; k < bf_numel(&g->tensors[g->inputs[i]]); ++k) out[k] = (int8_t)(bf_rand(&s) >> 24);
}

void tg_eval_bf(const tg_graph* g, int8_t* const* inputs, int8_t** outputs) {
  int8_t* buf[TG_MAX_TENSORS] = {0};
  for (int t = 0; t < g->num_tensors; ++t) buf[t] = (int8_t*)malloc((size_t)bf_numel(&g->tensors[t]));
  for (int i = 0; i < g->num_inputs; ++i)
    memcpy(buf[g->inputs[i]], inputs[i], (size_t)bf_numel(&g->tensors[g->inputs[i]]));
  const tpr_builder_tensor* T = g->tensors;
  for (int i = 0; i < g->num_layers; ++i) {
    const tg_layer* L = &g->layers[i];
    switch (L->kind) {
      case TG_CONV:
      case TG_DW:
        bf_conv2d(&T[L->conv.input], buf[L->conv.input], &T[L->conv.output], buf[L->conv.output],
                  &L->conv, L->kind == TG_DW);
        break;
      case TG_FC: bf_fc(&T[L->fc.input], buf[L->fc.input], &T[L->fc.output], buf[L->fc.output], &L->fc); break;
      case TG_ADD:
        bf_add(&T[L->add.input0], buf[L->add.input0], &T[L->add.input1], buf[L->add.input1],
               &T[L->add.output], buf[L->add.output], &L->add);
        break;
      case TG_MAXPOOL:
      case TG_AVGPOOL:
        bf_pool(&T[L->pool.input], buf[L->pool.input], &T[L->pool.output], buf[L->pool.output],
                &L->pool, L->kind == TG_MAXPOOL);
        break;
      case TG_GAP: bf_gap(&T[L->gap.input], buf[L->gap.input], &T[L->gap.output], buf[L->gap.output], &L->gap); break;
      case TG_RESHAPE: memcpy(buf[L->out], buf[L->in], (size_t)bf_numel(&T[L->in])); break;
    }
  }
  for (int i = 0; i < g->num_outputs; ++i)
    memcpy(outputs[i], buf[g->outputs[i]], (size_t)bf_numel(&T[g->outputs[i]]));
  for (int t = 0; t < g->num_tensors; ++t) free(buf[t]);
}
