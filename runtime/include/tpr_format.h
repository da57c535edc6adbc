/**
 * @file tpr_format.h
 * @brief Byte layout of a TinyPrune model blob (`.fwcs`), format version 1.
 *
 * This header is THE single source of truth for the blob layout. It is shared by the C++ exporter
 * (through the C builder, tpr_builder.h) and by the C99 runtime (tpr.h). FORMAT.md explains every
 * field in prose; when the two disagree, this header wins and FORMAT.md is a bug.
 *
 * Conventions
 * - Every multi-byte field is little-endian, fixed width. Floats are IEEE-754 binary32.
 * - All offsets are in bytes. Section offsets are relative to the blob start; array offsets inside
 *   weight records are relative to the start of the DATA section.
 * - Sections and DATA arrays start on multiples of TPR_FMT_ALIGN (16) bytes.
 * - Every reserved field must be zero (a reader rejects non-zero reserved fields).
 * - CRC: CRC-32/ISO-HDLC (zlib's crc32: reflected poly 0xEDB88320, init and xor-out 0xFFFFFFFF)
 *   over bytes [TPR_FMT_CRC_START, total_size), i.e. everything after the header's CRC field.
 *
 * Blob:  [header 32 B][section table: section_count x 16 B][sections, each 16-aligned]
 */
#ifndef TPR_FORMAT_H
#define TPR_FORMAT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- header (32 bytes at offset 0) ------------------------------------------------------------ */
#define TPR_FMT_MAGIC0 'T'
#define TPR_FMT_MAGIC1 'P'
#define TPR_FMT_MAGIC2 'R'
#define TPR_FMT_MAGIC3 'B'
#define TPR_FMT_MAGIC_U32 0x42525054u /**< "TPRB" read as a little-endian u32 */
#define TPR_FMT_VERSION 1u            /**< the only version this header describes */
#define TPR_FMT_ALIGN 16u             /**< alignment of sections and DATA arrays */
#define TPR_FMT_HEADER_SIZE 32u
#define TPR_FMT_MAX_SECTIONS 16u

#define TPR_FMT_HDR_MAGIC 0u          /**< u8[4]  "TPRB" */
#define TPR_FMT_HDR_VERSION 4u        /**< u16    TPR_FMT_VERSION */
#define TPR_FMT_HDR_HEADER_SIZE 6u    /**< u16    TPR_FMT_HEADER_SIZE */
#define TPR_FMT_HDR_FLAGS 8u          /**< u32    0 in version 1 (no flag defined) */
#define TPR_FMT_HDR_TOTAL_SIZE 12u    /**< u32    bytes of the whole blob, header included */
#define TPR_FMT_HDR_CRC32 16u         /**< u32    CRC-32 of bytes [20, total_size) */
#define TPR_FMT_HDR_SECTION_COUNT 20u /**< u32    1..TPR_FMT_MAX_SECTIONS */
#define TPR_FMT_HDR_SECTION_TABLE 24u /**< u32    offset of the section table (32 when written) */
#define TPR_FMT_HDR_RESERVED 28u      /**< u32    0 */
#define TPR_FMT_CRC_START 20u         /**< first byte covered by the CRC */

/* ---- section table entry (16 bytes) ----------------------------------------------------------- */
#define TPR_FMT_SEC_ENTRY_SIZE 16u
#define TPR_FMT_SEC_ID 0u       /**< u32 tpr_fmt_section_id */
#define TPR_FMT_SEC_OFFSET 4u   /**< u32 from blob start, multiple of 16 */
#define TPR_FMT_SEC_LENGTH 8u   /**< u32 bytes */
#define TPR_FMT_SEC_RESERVED 12u/**< u32 0 */

/** Section ids. Each required section appears exactly once; unknown ids are ignored by readers. */
typedef enum {
  TPR_SEC_MODEL = 1,   /**< counts + graph input/output tensor ids */
  TPR_SEC_TENSORS = 2, /**< num_tensors x 32-byte tensor records */
  TPR_SEC_OPS = 3,     /**< num_ops x 64-byte op records, in execution order */
  TPR_SEC_WEIGHTS = 4, /**< num_weights x 64-byte weight records */
  TPR_SEC_PLAN = 5,    /**< memory plan: tensor arena size + per-tensor arena offsets */
  TPR_SEC_DATA = 6     /**< raw arrays (weights, indices, bias, multipliers, shifts) */
} tpr_fmt_section_id;

/* ---- MODEL section: 32-byte fixed part + u16 inputs[num_inputs] + u16 outputs[num_outputs] ---- */
#define TPR_FMT_MODEL_FIXED_SIZE 32u
#define TPR_FMT_MODEL_NUM_TENSORS 0u  /**< u32 1..TPR_FMT_MAX_TENSORS */
#define TPR_FMT_MODEL_NUM_OPS 4u      /**< u32 1..TPR_FMT_MAX_OPS */
#define TPR_FMT_MODEL_NUM_WEIGHTS 8u  /**< u32 0..TPR_FMT_MAX_OPS */
#define TPR_FMT_MODEL_NUM_INPUTS 12u  /**< u16 1..TPR_FMT_MAX_IO */
#define TPR_FMT_MODEL_NUM_OUTPUTS 14u /**< u16 1..TPR_FMT_MAX_IO */
/* 16..31 reserved (0). Section length == 32 + 2*(num_inputs + num_outputs). */
#define TPR_FMT_MAX_TENSORS 65535u
#define TPR_FMT_MAX_OPS 65535u
#define TPR_FMT_MAX_IO 16u
#define TPR_FMT_NONE 0xFFFFu          /**< "no tensor / no weights" in u16 id fields */

/* ---- TENSORS section: 32-byte records (activation tensors only; weights live in WEIGHTS) ---- */
#define TPR_FMT_TENSOR_SIZE 32u
#define TPR_FMT_TENSOR_DTYPE 0u      /**< u8  tpr_fmt_dtype (TPR_DTYPE_INT8 only in v1) */
#define TPR_FMT_TENSOR_RANK 1u       /**< u8  1..4 */
#define TPR_FMT_TENSOR_RESERVED0 2u  /**< u16 0 */
#define TPR_FMT_TENSOR_DIMS 4u       /**< u32[4]: dims[0..rank-1] >= 1, unused entries 0.
                                          rank 4 = NHWC, rank 2 = [N, C], rank 1 = [C]. */
#define TPR_FMT_TENSOR_SCALE 20u     /**< f32 real = scale * (q - zero_point); finite, > 0 */
#define TPR_FMT_TENSOR_ZERO_POINT 24u/**< i32 in [-128, 127] */
#define TPR_FMT_TENSOR_RESERVED1 28u /**< u32 0 */
typedef enum { TPR_DTYPE_INT8 = 1 } tpr_fmt_dtype;

/* ---- OPS section: 64-byte records in execution order ------------------------------------------ */
#define TPR_FMT_OP_SIZE 64u
#define TPR_FMT_OP_OPCODE 0u   /**< u8  tpr_fmt_opcode */
#define TPR_FMT_OP_ACT 1u      /**< u8  tpr_fmt_act (informational; act_min/act_max are binding) */
#define TPR_FMT_OP_GROUPS 2u   /**< u16 CONV2D: 1; DEPTHWISE_CONV2D: input channels; others 0 */
#define TPR_FMT_OP_INPUT0 4u   /**< u16 tensor id */
#define TPR_FMT_OP_INPUT1 6u   /**< u16 tensor id (ADD) or TPR_FMT_NONE */
#define TPR_FMT_OP_OUTPUT 8u   /**< u16 tensor id */
#define TPR_FMT_OP_WEIGHTS 10u /**< u16 weight record index (conv/dw/fc) or TPR_FMT_NONE */
#define TPR_FMT_OP_STRIDE_H 12u/**< u8  >= 1 (conv, dw, pools); 0 otherwise */
#define TPR_FMT_OP_STRIDE_W 13u/**< u8 */
#define TPR_FMT_OP_KERNEL_H 14u/**< u8  pools only (conv kernels come from the weight record) */
#define TPR_FMT_OP_KERNEL_W 15u/**< u8 */
#define TPR_FMT_OP_PAD_TOP 16u /**< u8  each pad < kernel size in that axis */
#define TPR_FMT_OP_PAD_BOTTOM 17u
#define TPR_FMT_OP_PAD_LEFT 18u
#define TPR_FMT_OP_PAD_RIGHT 19u
#define TPR_FMT_OP_ACT_MIN 20u /**< i16 in [-128, 127], act_min <= act_max */
#define TPR_FMT_OP_ACT_MAX 22u /**< i16 */
#define TPR_FMT_OP_PARAMS 24u  /**< i32[10] op-specific, see TPR_FMT_P_*; unused entries 0 */
#define TPR_FMT_OP_NUM_PARAMS 10u

/** Op codes. Semantics (int8, NHWC) are specified in FORMAT.md section "Ops". */
typedef enum {
  TPR_OP_CONV2D = 1,           /**< dense or FWCS weights, groups == 1 */
  TPR_OP_DEPTHWISE_CONV2D = 2, /**< groups == Cin, Cout = Cin * depth_multiplier, dense 1HWO */
  TPR_OP_FULLY_CONNECTED = 3,  /**< dense [Cout][Cin] weights; input flattened in NHWC order */
  TPR_OP_ADD = 4,              /**< element-wise, same shapes, TFLite int8 ADD requantization */
  TPR_OP_MAX_POOL = 5,
  TPR_OP_AVG_POOL = 6,
  TPR_OP_GLOBAL_AVG_POOL = 7,  /**< mean over H and W with requantization (multiplier, shift) */
  TPR_OP_RESHAPE = 8           /**< byte copy (no-op when input and output share arena bytes) */
} tpr_fmt_opcode;
#define TPR_OP_COUNT_ 9

typedef enum { TPR_ACT_NONE = 0, TPR_ACT_RELU = 1, TPR_ACT_RELU6 = 2 } tpr_fmt_act;

/* Op params (index into the i32[10] array). */
#define TPR_FMT_P_ADD_LEFT_SHIFT 0 /**< [0, 22]; TFLite uses 20 for int8 */
#define TPR_FMT_P_ADD_IN0_MULT 1   /**< Q31 multiplier, [0, 2^31-1] */
#define TPR_FMT_P_ADD_IN0_SHIFT 2  /**< [-31, 30], positive = left */
#define TPR_FMT_P_ADD_IN1_MULT 3
#define TPR_FMT_P_ADD_IN1_SHIFT 4
#define TPR_FMT_P_ADD_OUT_MULT 5
#define TPR_FMT_P_ADD_OUT_SHIFT 6
#define TPR_FMT_P_GAP_MULT 0       /**< folds 1/(H*W) * s_in / s_out */
#define TPR_FMT_P_GAP_SHIFT 1

/* ---- WEIGHTS section: 64-byte records ------------------------------------------------------- */
#define TPR_FMT_W_SIZE 64u
#define TPR_FMT_W_KIND 0u         /**< u8 tpr_fmt_weight_kind */
#define TPR_FMT_W_LAYOUT 1u       /**< u8 tpr_fmt_weight_layout */
#define TPR_FMT_W_ROW_PTR_BYTES 2u/**< u8 FWCS CSR index: 1, 2 or 4 (u8/u16/u32 entries);
                                       FWCS MASK and EF index: 0; DENSE: 0.
                                       Writers use the smallest width holding nkept. */
#define TPR_FMT_W_POS_BITS 3u     /**< u8 FWCS CSR index: 4, 8, 16 or 32 bits per position;
                                       FWCS MASK index: 1; FWCS EF index: 2; DENSE: 0.
                                       Writers use the smallest width holding KH*KW-1. 4-bit
                                       positions are packed two per byte, entry j in byte j/2,
                                       low nibble for even j. */
#define TPR_FMT_W_COUT 4u         /**< u32 output channels (filters) >= 1 */
#define TPR_FMT_W_KH 8u           /**< u16 >= 1 */
#define TPR_FMT_W_KW 10u          /**< u16 >= 1 */
#define TPR_FMT_W_CIN 12u         /**< u32 input channels per filter (1 for depthwise) */
#define TPR_FMT_W_NKEPT 16u       /**< u32 FWCS: kept filterlets (0..cout*kh*kw); DENSE: 0 */
#define TPR_FMT_W_VALUES_OFF 20u  /**< u32 int8 values; DENSE: cout*kh*kw*cin bytes (OHWI) or
                                       kh*kw*cout (1HWO); FWCS: nkept*cin bytes. Followed by at
                                       least TPR_FMT_VALUES_PAD readable bytes inside DATA. */
#define TPR_FMT_W_VALUES_LEN 24u  /**< u32 exact byte count of the values (without the pad) */
#define TPR_FMT_W_ROW_PTR_OFF 28u /**< u32 FWCS CSR: (cout+1) entries; FWCS MASK, EF, DENSE: 0 */
#define TPR_FMT_W_POS_OFF 32u     /**< u32 FWCS CSR: nkept entries (ceil(nkept*bits/8) bytes),
                                       each kh_i*KW + kw_i, strictly increasing within a filter;
                                       FWCS MASK: the filterlet bitmap, ceil(cout*kh*kw/8) bytes,
                                       bit f = (o*KH + kh_i)*KW + kw_i in byte f/8, bit f%8
                                       (LSB first), set = kept, unused high bits of the last
                                       byte 0, popcount == nkept; FWCS EF: the Elias-Fano
                                       stream of the kept slot numbers, tpr_fmt_ef_bytes()
                                       bytes (see below); DENSE: 0 */
#define TPR_FMT_W_BIAS_OFF 36u    /**< u32 int32[cout] */
#define TPR_FMT_W_MULT_OFF 40u    /**< u32 int32[cout], Q31 multipliers in [0, 2^31-1] */
#define TPR_FMT_W_SHIFT_OFF 44u   /**< u32 int8[cout], shifts in [-31, 30], positive = left */
/* 48..63 reserved (0) */
#define TPR_FMT_VALUES_PAD 16u    /**< readable bytes after every values array (SIMD over-read) */

typedef enum { TPR_WEIGHTS_DENSE = 1, TPR_WEIGHTS_FWCS = 2 } tpr_fmt_weight_kind;

/* FWCS index kinds (format 1.2), told apart by (row_ptr_bytes, pos_bits):
 * - CSR  (1.0): row_ptr_bytes 1/2/4 and pos_bits 4/8/16/32: row pointers + per-filterlet positions;
 * - MASK (1.1): row_ptr_bytes 0 and pos_bits 1: one bit per filterlet slot, no row pointers (the
 *   kernels walk the filters in order and accumulate the values offset);
 * - EF   (1.2): row_ptr_bytes 0 and pos_bits 2: Elias-Fano code of the kept slot numbers
 *   f = (o*KH + kh)*KW + kw (strictly increasing, u = cout*KH*KW slots, n = nkept >= 1):
 *   l = tpr_fmt_ef_low_bits(u, n); one bit stream (bit b in byte b/8, bit b%8, LSB first) of
 *   tpr_fmt_ef_bits(u, n) bits:
 *     low part,  bits [0, n*l):            element i's low l bits (f_i & (2^l - 1)) at bit i*l,
 *                                          least significant bit first;
 *     high part, the next n + ((u-1) >> l) + 1 bits: for each element in order, (f_i >> l) -
 *                                          (f_{i-1} >> l) zeros (f_{-1} >> l := 0), then a one;
 *                                          the remaining bits are zeros;
 *   unused bits of the last byte are 0. The size depends only on (u, n).
 * Older readers reject the newer kinds as corrupt (a 1.0 reader needs row_ptr_bytes 1/2/4, a 1.1
 * reader pos_bits 1 when row_ptr_bytes is 0); they cannot misread them. */
#define TPR_FMT_FWCS_MASK_ROW_PTR_BYTES 0u
#define TPR_FMT_FWCS_MASK_POS_BITS 1u
#define TPR_FMT_FWCS_EF_ROW_PTR_BYTES 0u
#define TPR_FMT_FWCS_EF_POS_BITS 2u

/** EF low-part width: the largest l with (n << l) <= u, i.e. floor(log2(u / n)); 1 <= n <= u. */
static inline uint32_t tpr_fmt_ef_low_bits(uint32_t u, uint32_t n) {
  uint32_t q = u / n, l = 0;
  while (q >>= 1) ++l;
  return l;
}
/** EF stream length in bits: n*l + n + ((u-1) >> l) + 1 (1 <= n <= u). */
static inline uint64_t tpr_fmt_ef_bits(uint32_t u, uint32_t n) {
  const uint32_t l = tpr_fmt_ef_low_bits(u, n);
  return (uint64_t)n * l + n + ((u - 1u) >> l) + 1u;
}
/** EF stream length in bytes: ceil(tpr_fmt_ef_bits(u, n) / 8). */
static inline uint64_t tpr_fmt_ef_bytes(uint32_t u, uint32_t n) {
  return (tpr_fmt_ef_bits(u, n) + 7u) / 8u;
}
typedef enum {
  TPR_LAYOUT_OHWI = 1, /**< conv2d / fully connected: [Cout][KH][KW][Cin] (FC: KH = KW = 1) */
  TPR_LAYOUT_1HWO = 2  /**< depthwise: [KH][KW][Cout] (TFLite's [1, KH, KW, Cout]) */
} tpr_fmt_weight_layout;

/** Largest per-output dot-product length KH*KW*Cin (keeps int32 accumulation exact). */
#define TPR_FMT_MAX_DOT_LEN 32768u
/** Bias magnitude bound |bias| <= 2^30 (keeps bias + accumulator inside int32). */
#define TPR_FMT_MAX_ABS_BIAS 1073741824

/* ---- PLAN section: 16-byte fixed part + u32 offsets[num_tensors] ----------------------------- */
#define TPR_FMT_PLAN_FIXED_SIZE 16u
#define TPR_FMT_PLAN_ARENA_SIZE 0u   /**< u32 bytes of the tensor arena (offsets index into it) */
#define TPR_FMT_PLAN_SCRATCH_HINT 4u /**< u32 exporter's estimate of kernel scratch (informative;
                                          the runtime computes its own) */
#define TPR_FMT_PLAN_NUM_TENSORS 8u  /**< u32 == MODEL.num_tensors */
#define TPR_FMT_PLAN_RESERVED 12u    /**< u32 0 */
#define TPR_FMT_PLAN_OFFSETS 16u     /**< u32[num_tensors], each a multiple of 4 */

#ifdef __cplusplus
}
#endif
#endif /* TPR_FORMAT_H */
