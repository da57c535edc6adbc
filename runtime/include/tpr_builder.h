/**
 * @file tpr_builder.h
 * @brief Host-side blob builder (C99): serializes a quantized int8 graph into a `.fwcs` blob.
 *
 * Used by the C++ exporter and by the runtime's tests. Host only: it is a separate library
 * (`tinyprune_runtime_builder`) and is never linked into firmware. Layout: tpr_format.h.
 *
 * Usage:
 * @code
 *   tpr_builder b;
 *   tpr_builder_init(&b, NULL, NULL);                      // NULL: C realloc/free
 *   tpr_builder_tensor x = {4, {1, 32, 32, 3}, 0.02f, -1}; uint16_t tx, ty;
 *   tpr_builder_add_tensor(&b, &x, &tx); ...
 *   tpr_builder_conv c = {...}; tpr_builder_add_conv2d(&b, &c, NULL);
 *   tpr_builder_set_io(&b, &tx, 1, &ty, 1);
 *   size_t n; tpr_builder_blob_size(&b, &n); void* blob = malloc(n);
 *   tpr_builder_write(&b, blob, n, &n);
 *   tpr_builder_free(&b);
 * @endcode
 * Errors are sticky: after the first failing call every later call returns the same status, so
 * a caller may check only tpr_builder_write(). Ops must be added in execution order.
 *
 * Quantization conventions the caller must follow (see FORMAT.md "Quantization"):
 * - activations: asymmetric int8, real = scale * (q - zero_point);
 * - weights: symmetric int8 (zero point 0), per output channel scale s_w[o];
 * - bias[o] = round(b_real[o] / (s_in * s_w[o])) as int32, |bias| <= 2^30;
 * - (multiplier[o], shift[o]) = tpr_quantize_multiplier(s_in * s_w[o] / s_out);
 * - fused ReLU / ReLU6 / none = act_min/act_max clamp in the output's int8 domain.
 */
#ifndef TPR_BUILDER_H
#define TPR_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "tpr.h"
#include "tpr_format.h"

#ifdef __cplusplus
extern "C" {
#endif

/** realloc-like allocator: (ctx, ptr, size) -> new block, or NULL on failure; size 0 frees ptr. */
typedef void* (*tpr_realloc_fn)(void* ctx, void* ptr, size_t size);

/** Growable byte buffer (internal). */
typedef struct { uint8_t* data; size_t size, cap; } tpr_bbuf;

/** Builder state. Fields are private. */
typedef struct {
  tpr_realloc_fn realloc_fn;
  void* ctx;
  tpr_bbuf tensors, ops, weights, data, plan;
  uint32_t num_tensors, num_ops, num_weights;
  uint16_t inputs[TPR_FMT_MAX_IO], outputs[TPR_FMT_MAX_IO];
  uint16_t num_inputs, num_outputs;
  uint32_t arena_size; /* valid when has_plan */
  int has_plan;
  uint32_t scratch_hint;
  tpr_status error; /* sticky */
} tpr_builder;

/** Activation tensor description. */
typedef struct {
  int32_t rank;       /**< 1..4 */
  int32_t dims[4];    /**< NHWC for rank 4, [N, C] for rank 2; entries >= 1 */
  float scale;        /**< > 0, finite */
  int32_t zero_point; /**< [-128, 127] */
} tpr_builder_tensor;

/** Storage choice for conv weights. */
typedef enum {
  TPR_STORAGE_AUTO = 0,  /**< FWCS iff its arrays (values + index) are smaller than dense */
  TPR_STORAGE_DENSE = 1,
  TPR_STORAGE_FWCS = 2,  /**< FWCS with the smallest index kind (ties: CSR, then MASK, then EF) */
  TPR_STORAGE_FWCS_CSR = 3, /**< FWCS, CSR index forced (row pointers + positions) */
  TPR_STORAGE_FWCS_MASK = 4, /**< FWCS, MASK index forced (filterlet bitmap, format 1.1) */
  TPR_STORAGE_FWCS_EF = 5   /**< FWCS, EF index forced (Elias-Fano, format 1.2); needs at least
                                 one kept filterlet (TPR_ERR_ARG otherwise) */
} tpr_storage;

/** Conv2d (groups 1) or depthwise conv2d. */
typedef struct {
  uint16_t input, output;                          /**< tensor ids (NHWC, rank 4) */
  int32_t stride_h, stride_w;                      /**< 1..255 */
  int32_t pad_top, pad_bottom, pad_left, pad_right;/**< 0..kernel-1 each (TFLite SAME/VALID fit) */
  int32_t act_min, act_max;                        /**< int8 clamp of the output */
  tpr_fmt_act act;                                 /**< informational */
  int32_t cout, kh, kw, cin;  /**< conv: cin = input channels; depthwise: cin = input channels,
                                   cout = cin * depth_multiplier */
  const int8_t* weights;      /**< conv: OHWI [cout][kh][kw][cin]; depthwise: [kh][kw][cout] */
  const uint8_t* keep;        /**< conv only: filterlet keep mask [cout][kh][kw], nonzero = kept;
                                   NULL = all kept. Weights of dropped filterlets are ignored. */
  const int32_t* bias;        /**< [cout]; NULL = zeros */
  const int32_t* multiplier;  /**< [cout], Q31 in [0, 2^31-1] */
  const int32_t* shift;       /**< [cout], [-31, 30] */
  tpr_storage storage;        /**< conv only (depthwise is always dense) */
} tpr_builder_conv;

/** Fully connected: input flattened in NHWC byte order (permute weights accordingly). */
typedef struct {
  uint16_t input, output;     /**< output: rank 2 [N, out_features]; input numel = N*in_features */
  int32_t in_features, out_features;
  const int8_t* weights;      /**< [out_features][in_features] */
  const int32_t* bias;        /**< [out_features]; NULL = zeros */
  const int32_t* multiplier;  /**< [out_features] */
  const int32_t* shift;       /**< [out_features] */
  int32_t act_min, act_max;
  tpr_fmt_act act;
} tpr_builder_fc;

/** TFLite-style quantized ADD (same shapes). */
typedef struct {
  uint16_t input0, input1, output;
  int32_t left_shift; /**< 20 for int8 in TFLite */
  int32_t input0_mult, input0_shift, input1_mult, input1_shift, output_mult, output_shift;
  int32_t act_min, act_max;
  tpr_fmt_act act;
} tpr_builder_add;

/** Max / average pool (input and output share scale and zero point). */
typedef struct {
  uint16_t input, output;
  int32_t kernel_h, kernel_w, stride_h, stride_w;
  int32_t pad_top, pad_bottom, pad_left, pad_right; /**< each < kernel size */
  int32_t act_min, act_max;
} tpr_builder_pool;

/** Global average pool: output [N,1,1,C] or [N,C]; (multiplier, shift) encode s_in/(s_out*H*W). */
typedef struct {
  uint16_t input, output;
  int32_t multiplier, shift, act_min, act_max;
} tpr_builder_gap;

/** What the builder stored for one weight record. */
typedef struct {
  tpr_fmt_weight_kind kind;
  uint32_t nkept;         /**< kept filterlets (FWCS) or cout*kh*kw (dense) */
  uint32_t values_bytes;  /**< int8 weight bytes stored */
  uint32_t index_bytes;   /**< FWCS index bytes: CSR row_ptr + pos, MASK bitmap
                               (ceil(cout*kh*kw/8)) or EF stream (tpr_fmt_ef_bytes(cout*kh*kw,
                               nkept)); 0 for dense */
  uint32_t quant_bytes;   /**< bias (4) + multiplier (4) + shift (1) per output channel */
  uint32_t dense_bytes;   /**< cout*kh*kw*cin, for comparison */
  uint8_t row_ptr_bytes; /**< FWCS CSR index: 1, 2 or 4; FWCS MASK and EF index: 0; dense: 0 */
  uint8_t pos_bits;      /**< FWCS CSR index: 4, 8, 16 or 32; FWCS MASK index: 1; FWCS EF
                              index: 2; dense: 0 (the pair tells the index kinds apart) */
} tpr_weight_stats;

/**
 * @brief What a weight record would store, without building it: the storage kind the builder picks
 *        and its byte counts, exactly as tpr_builder_add_conv2d / _depthwise_conv2d /
 *        _fully_connected record them (add_weights calls this). Pruners use it to predict flash.
 * @param layout   TPR_LAYOUT_OHWI (conv, FC: kh = kw = 1, cin = in_features) or TPR_LAYOUT_1HWO
 *                 (depthwise: cin = 1)
 * @param nkept    kept filterlets, 0..cout*kh*kw (ignored for 1HWO; pass cout*kh*kw)
 * @param storage  TPR_STORAGE_AUTO picks FWCS iff values + index < dense bytes, where the index
 *                 is the smallest of CSR ((cout+1) row pointers + nkept positions), MASK
 *                 (ceil(cout*kh*kw/8) bitmap bytes) and, for nkept >= 1, EF
 *                 (tpr_fmt_ef_bytes(cout*kh*kw, nkept)), ties resolved CSR, then MASK, then EF;
 *                 all depend only on the arguments, so the prediction is exact (1HWO is always
 *                 dense)
 * @param[out] stats every field as tpr_builder_add_* would report it
 * @return TPR_OK; TPR_ERR_ARG for non-positive dims, nkept > cout*kh*kw, sizes past the format,
 *         an unknown storage value or TPR_STORAGE_FWCS_EF with nkept == 0.
 */
tpr_status tpr_builder_weight_stats(int layout, int32_t cout, int32_t kh, int32_t kw, int32_t cin,
                                    uint32_t nkept, tpr_storage storage, tpr_weight_stats* stats);

/** @brief Start an empty builder. @param realloc_fn NULL = C realloc/free. @return TPR_OK. */
tpr_status tpr_builder_init(tpr_builder* b, tpr_realloc_fn realloc_fn, void* ctx);
/** @brief Release all memory (the builder may be re-initialised). */
void tpr_builder_free(tpr_builder* b);

/** @brief Add an activation tensor. @param[out] id its id. @return TPR_OK, TPR_ERR_ARG. */
tpr_status tpr_builder_add_tensor(tpr_builder* b, const tpr_builder_tensor* t, uint16_t* id);

/** @brief Set graph inputs and outputs (1..16 each). @return TPR_OK, TPR_ERR_ARG. */
tpr_status tpr_builder_set_io(tpr_builder* b, const uint16_t* inputs, size_t num_inputs,
                              const uint16_t* outputs, size_t num_outputs);

/** @brief Conv2d (groups 1). @param[out] stats optional. @return TPR_OK, TPR_ERR_ARG, TPR_ERR_ARENA (OOM). */
tpr_status tpr_builder_add_conv2d(tpr_builder* b, const tpr_builder_conv* c, tpr_weight_stats* stats);
/** @brief Depthwise conv2d (dense weights [kh][kw][cout]). @return as tpr_builder_add_conv2d. */
tpr_status tpr_builder_add_depthwise_conv2d(tpr_builder* b, const tpr_builder_conv* c,
                                            tpr_weight_stats* stats);
/** @brief Fully connected. @return as tpr_builder_add_conv2d. */
tpr_status tpr_builder_add_fully_connected(tpr_builder* b, const tpr_builder_fc* f,
                                           tpr_weight_stats* stats);
/** @brief Element-wise add. */
tpr_status tpr_builder_add_add(tpr_builder* b, const tpr_builder_add* a);
/** @brief Max pool. */
tpr_status tpr_builder_add_max_pool(tpr_builder* b, const tpr_builder_pool* p);
/** @brief Average pool. */
tpr_status tpr_builder_add_avg_pool(tpr_builder* b, const tpr_builder_pool* p);
/** @brief Global average pool (mean over H, W). */
tpr_status tpr_builder_add_global_avg_pool(tpr_builder* b, const tpr_builder_gap* g);
/** @brief Reshape / flatten (byte copy; NHWC byte order is kept). */
tpr_status tpr_builder_add_reshape(tpr_builder* b, uint16_t input, uint16_t output);

/**
 * @brief Use the caller's memory plan (e.g. the exporter's, from the ResourceModel).
 * @param offsets  arena offset per tensor (num_tensors entries, multiples of 4)
 * Without this call the builder plans greedily (first fit by lifetime, 16-byte aligned).
 */
tpr_status tpr_builder_set_plan(tpr_builder* b, uint32_t arena_size, const uint32_t* offsets,
                                size_t num_tensors);

/** @brief Bytes tpr_builder_write() will produce. @return sticky error or TPR_OK. */
tpr_status tpr_builder_blob_size(tpr_builder* b, size_t* bytes);

/**
 * @brief Serialize (computes plan if needed, section offsets and CRC).
 * @param[out] out      buffer, 16-byte aligned recommended
 * @param[in]  capacity bytes at @p out
 * @param[out] written  blob size
 * @return TPR_OK; TPR_ERR_ARENA if capacity is too small; the sticky error otherwise.
 */
tpr_status tpr_builder_write(tpr_builder* b, void* out, size_t capacity, size_t* written);

/**
 * @brief TFLite QuantizeMultiplier: real = multiplier * 2^(shift-31), multiplier in [2^30, 2^31)
 *        (0 for real == 0); real must be >= 0 and finite. Tiny values flush to (0, 0); huge
 *        values saturate to (2^31-1, 30).
 * @return TPR_OK or TPR_ERR_ARG (negative / non-finite).
 */
tpr_status tpr_quantize_multiplier(double real, int32_t* multiplier, int32_t* shift);

#ifdef __cplusplus
}
#endif
#endif /* TPR_BUILDER_H */
