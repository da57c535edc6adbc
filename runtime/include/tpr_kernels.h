/**
 * @file tpr_kernels.h
 * @brief int8 kernels of the runtime (used by tpr_invoke(); public for tests and benchmarks).
 *
 * Every kernel has a portable reference version (src/kernels/ref/) and may have optimized versions
 * with the same file name and symbol (src/kernels/host, mve, dsp); CMake links exactly one
 * (option TPR_KERNELS). All variants are bit-exact with the reference.
 *
 * Common conventions
 * - Activations are int8 NHWC, contiguous. Weights are symmetric int8 (zero point 0).
 * - input_offset = -input_zero_point; output_offset = output_zero_point.
 * - Convolution semantics (dilation 1): for output (n, oy, ox, o)
 *     acc = bias[o] + sum_{kh,kw,c valid} (in[n, oy*sh - pad_top + kh, ox*sw - pad_left + kw, c]
 *                                           + input_offset) * w[o, kh, kw, c]
 *   taps outside the input contribute 0 (i.e. padding holds the input zero point);
 *   out = clamp(tpr_requantize(acc, mult[o], shift[o]) + output_offset, act_min, act_max).
 *   Bottom/right padding is implied by the output dims.
 * - Kernels trust their arguments (tpr_model_init() validated them); preconditions are listed.
 *   Common preconditions: KH*KW*Cin <= TPR_FMT_MAX_DOT_LEN, |bias| <= 2^30, mult >= 0,
 *   shift in [-31, 30], act_min <= act_max within int8, input/output buffers do not overlap.
 * - scratch: caller-provided, at least *_scratch_size() bytes, 4-byte aligned (16 recommended).
 */
#ifndef TPR_KERNELS_H
#define TPR_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Tensor dims. Activations: NHWC. Conv filters: n = Cout, h = KH, w = KW, c = Cin. */
typedef struct { int32_t n, h, w, c; } tpr_dims;

/** Convolution / depthwise parameters. */
typedef struct {
  int32_t input_offset;       /**< -input zero point, [-127, 128] */
  int32_t output_offset;      /**< output zero point, [-128, 127] */
  int32_t stride_h, stride_w; /**< >= 1 */
  int32_t pad_top, pad_left;  /**< >= 0 */
  int32_t act_min, act_max;   /**< int8 clamp, act_min <= act_max */
} tpr_conv_params;

/** Per-output-channel requantization (see tpr_requant.h). Arrays of Cout entries. */
typedef struct {
  const int32_t* multiplier; /**< Q31, [0, 2^31 - 1] */
  const int8_t* shift;       /**< [-31, 30], positive = left */
} tpr_channel_quant;

/**
 * FWCS (filterlet-wise compressed storage) weights of one conv, see FORMAT.md. Three index kinds:
 * - CSR: row_ptr_bytes 1/2/4, pos_bits 4/8/16/32, row_ptr and pos as documented below;
 * - MASK: row_ptr_bytes 0, pos_bits 1, row_ptr unused (may be NULL), pos = filterlet bitmap of
 *   Cout*KH*KW bits, bit f = (o*KH + kh)*KW + kw in byte f/8, bit f%8; kept filterlets are the
 *   set bits, in the same filter -> kh -> kw order as the values;
 * - EF: row_ptr_bytes 0, pos_bits 2, row_ptr unused (may be NULL), pos = the Elias-Fano stream of
 *   the kept slot numbers f (tpr_format.h, tpr_fmt_ef_bytes(Cout*KH*KW, nkept) bytes), nkept >= 1
 *   (an empty layer uses CSR or MASK). The kernels decode it sequentially once per call (no
 *   random access per filter).
 * nkept: kept filterlets; required for EF (it locates the high part), ignored by CSR and MASK.
 */
typedef struct {
  const int8_t* values;  /**< kept filterlets (Cin bytes each), filter -> kh -> kw order, followed by
                              >= 16 readable bytes */
  const void* row_ptr;   /**< CSR: Cout + 1 entries (u8, u16 or u32): filterlets of filter o are
                              [row_ptr[o], row_ptr[o+1]); row_ptr[0] = 0, non-decreasing */
  const void* pos;       /**< CSR: one entry per kept filterlet: kh*KW + kw, strictly increasing
                              within a filter; 4-bit entries packed two per byte (low nibble
                              first), or u8 / u16 / u32. MASK: the filterlet bitmap. EF: the
                              Elias-Fano stream. */
  uint8_t row_ptr_bytes; /**< CSR: 1, 2 or 4; MASK, EF: 0 */
  uint8_t pos_bits;      /**< CSR: 4, 8, 16 or 32; MASK: 1; EF: 2 */
  uint32_t nkept;        /**< EF: kept filterlets, 1..Cout*KH*KW; CSR, MASK: ignored (may be 0) */
} tpr_fwcs_weights;

/* ---- convolution ---------------------------------------------------------------------------- */

/** Dense conv2d, groups 1, OHWI weights [Cout][KH][KW][Cin]. */
void tpr_conv2d_s8(const tpr_conv_params* p, const tpr_channel_quant* q, const tpr_dims* in_dims,
                   const int8_t* in, const tpr_dims* filter_dims, const int8_t* filter,
                   const int32_t* bias, const tpr_dims* out_dims, int8_t* out, void* scratch);
size_t tpr_conv2d_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                  const tpr_dims* out_dims);

/** 1x1 conv fast path: KH = KW = 1, pad 0, any stride. Same weights/semantics as tpr_conv2d_s8. */
void tpr_conv2d_1x1_s8(const tpr_conv_params* p, const tpr_channel_quant* q,
                       const tpr_dims* in_dims, const int8_t* in, const tpr_dims* filter_dims,
                       const int8_t* filter, const int32_t* bias, const tpr_dims* out_dims,
                       int8_t* out, void* scratch);
size_t tpr_conv2d_1x1_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                      const tpr_dims* out_dims);

/**
 * Filterlet-sparse conv2d (DTMM design): im2col rows for 4 output pixels, each kept filterlet's
 * weights reused across the 4 pixels, the input offset folded in through a per-filter weight
 * sum, pruned filterlets cost nothing, a filter without kept filterlets outputs requant(bias).
 * Results equal tpr_conv2d_s8 on the dense weights with pruned filterlets set to 0.
 */
void tpr_conv2d_fwcs_s8(const tpr_conv_params* p, const tpr_channel_quant* q,
                        const tpr_dims* in_dims, const int8_t* in, const tpr_dims* filter_dims,
                        const tpr_fwcs_weights* w, const int32_t* bias, const tpr_dims* out_dims,
                        int8_t* out, void* scratch);
size_t tpr_conv2d_fwcs_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                       const tpr_dims* out_dims);

/**
 * Depthwise conv2d: filter_dims n = 1, h = KH, w = KW, c = Cout; weights [KH][KW][Cout];
 * Cout = Cin * depth_multiplier, output channel o reads input channel o / depth_multiplier.
 */
void tpr_depthwise_conv2d_s8(const tpr_conv_params* p, const tpr_channel_quant* q,
                             const tpr_dims* in_dims, const int8_t* in,
                             const tpr_dims* filter_dims, const int8_t* filter,
                             const int32_t* bias, const tpr_dims* out_dims, int8_t* out,
                             void* scratch);
size_t tpr_depthwise_conv2d_s8_scratch_size(const tpr_dims* in_dims, const tpr_dims* filter_dims,
                                            const tpr_dims* out_dims);

/* ---- fully connected ------------------------------------------------------------------------ */

typedef struct {
  int32_t input_offset, output_offset, act_min, act_max;
} tpr_fc_params;

/**
 * out[b][o] = clamp(requant(bias[o] + sum_c (in[b][c] + input_offset) * w[o][c], o) + output_offset)
 * for b < batches, o < out_features. Weights [out_features][in_features]; per-channel quant.
 */
void tpr_fully_connected_s8(const tpr_fc_params* p, const tpr_channel_quant* q, int32_t batches,
                            int32_t in_features, const int8_t* in, int32_t out_features,
                            const int8_t* w, const int32_t* bias, int8_t* out, void* scratch);
size_t tpr_fully_connected_s8_scratch_size(int32_t in_features, int32_t out_features);

/* ---- element-wise ----------------------------------------------------------------------------- */

/** TFLite int8 ADD parameters (quantized add semantics, same shapes, no broadcasting). */
typedef struct {
  int32_t input0_offset, input1_offset; /**< -zero points */
  int32_t output_offset;                /**< output zero point */
  int32_t left_shift;                   /**< [0, 22] */
  int32_t input0_mult, input0_shift, input1_mult, input1_shift, output_mult, output_shift;
  int32_t act_min, act_max;
} tpr_add_params;

/**
 * out[i] = clamp(requant(requant((a[i]+off0) << ls, m0, s0) + requant((b[i]+off1) << ls, m1, s1),
 *                mo, so) + output_offset). Output may alias a or b exactly (in place).
 */
void tpr_add_s8(const tpr_add_params* p, size_t n, const int8_t* a, const int8_t* b, int8_t* out);

/* ---- pooling ---------------------------------------------------------------------------------- */

typedef struct {
  int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left; /**< pads < kernel */
  int32_t act_min, act_max;
} tpr_pool_params;

/** Max pool over valid taps (padding ignored); input and output share scale and zero point. */
void tpr_max_pool_s8(const tpr_pool_params* p, const tpr_dims* in_dims, const int8_t* in,
                     const tpr_dims* out_dims, int8_t* out);

/**
 * Average pool (TFLite int8 semantics): sum of valid taps, divided by the valid-tap count rounding
 * half away from zero, clamped. Input and output share scale and zero point.
 */
void tpr_avg_pool_s8(const tpr_pool_params* p, const tpr_dims* in_dims, const int8_t* in,
                     const tpr_dims* out_dims, int8_t* out);

typedef struct {
  int32_t input_offset, output_offset, multiplier, shift, act_min, act_max;
} tpr_gap_params;

/**
 * Global average pool (mean over H, W): out[n][c] = clamp(requant(sum_{h,w} (in + input_offset),
 * multiplier, shift) + output_offset); the exporter folds 1/(H*W) * s_in/s_out into
 * (multiplier, shift). Requires H*W <= 2^23.
 */
void tpr_global_avg_pool_s8(const tpr_gap_params* p, const tpr_dims* in_dims, const int8_t* in,
                            int8_t* out);

#ifdef __cplusplus
}
#endif
#endif /* TPR_KERNELS_H */
