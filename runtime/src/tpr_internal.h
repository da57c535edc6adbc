/* Runtime internals shared by tpr_model.c and tpr_invoke.c (not installed). */
#ifndef TPR_INTERNAL_H
#define TPR_INTERNAL_H

#include "tpr.h"
#include "tpr_format.h"
#include "tpr_kernels.h"

/** Optional diagnostics hook, compiled out by default. Define it (e.g. -DTPR_LOG=my_log with
 *  `void my_log(const char* fmt, ...)`) to learn which validation check rejected a blob. */
#ifndef TPR_LOG
#define TPR_LOG(...) ((void)0)
#endif

/** Largest op count this runtime accepts (validation is quadratic in it). */
#define TPR_RT_MAX_OPS 4096u

#if defined(__BYTE_ORDER__) && (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
#error "the runtime reads blob arrays in place and needs a little-endian target"
#endif

typedef enum { TPR_IMPL_DEFAULT = 0, TPR_IMPL_CONV_1X1 = 1, TPR_IMPL_CONV_FWCS = 2 } tpr_impl;

/** A prepared op: everything tpr_invoke() needs, resolved and validated by tpr_model_init(). */
struct tpr_op_rt {
  uint8_t opcode, impl;
  int8_t* in0;
  int8_t* in1;
  int8_t* out;
  tpr_dims in_dims, out_dims, f_dims;
  size_t count; /* ADD / RESHAPE element count */
  union {
    tpr_conv_params conv;
    tpr_fc_params fc;
    tpr_pool_params pool;
    tpr_add_params add;
    tpr_gap_params gap;
  } u;
  tpr_channel_quant q;
  const int8_t* filter;
  const int32_t* bias;
  tpr_fwcs_weights fwcs;
};

/* little-endian field readers (alignment-free) */
static inline uint32_t tpr_rd_u8(const uint8_t* p) { return p[0]; }
static inline uint32_t tpr_rd_u16(const uint8_t* p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }
static inline uint32_t tpr_rd_u32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline int32_t tpr_rd_i16(const uint8_t* p) { return (int32_t)(int16_t)tpr_rd_u16(p); }
static inline int32_t tpr_rd_i32(const uint8_t* p) { return (int32_t)tpr_rd_u32(p); }

#endif
