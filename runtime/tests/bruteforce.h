/* Brute-force, float-free definitions of every op (plain loops, int64 accumulation, an
 * independently written requantization). Test oracle only. */
#ifndef TPR_TEST_BRUTEFORCE_H
#define TPR_TEST_BRUTEFORCE_H

#include <stdint.h>

#include "tpr_builder.h"

/* real multiplier (mult, shift) applied to x, TFLite rounding, written from the definitions */
int64_t bf_requant(int64_t x, int32_t mult, int32_t shift);
int8_t bf_out(int64_t acc, int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi);

/* in/out tensors described by builder tensor descriptors (NHWC) */
void bf_conv2d(const tpr_builder_tensor* ti, const int8_t* in, const tpr_builder_tensor* to,
               int8_t* out, const tpr_builder_conv* c, int depthwise);
void bf_fc(const tpr_builder_tensor* ti, const int8_t* in, const tpr_builder_tensor* to,
           int8_t* out, const tpr_builder_fc* f);
void bf_add(const tpr_builder_tensor* t0, const int8_t* a, const tpr_builder_tensor* t1,
            const int8_t* b, const tpr_builder_tensor* to, int8_t* out, const tpr_builder_add* p);
void bf_pool(const tpr_builder_tensor* ti, const int8_t* in, const tpr_builder_tensor* to,
             int8_t* out, const tpr_builder_pool* p, int is_max);
void bf_gap(const tpr_builder_tensor* ti, const int8_t* in, const tpr_builder_tensor* to,
            int8_t* out, const tpr_builder_gap* g);
int64_t bf_numel(const tpr_builder_tensor* t);

/* FWCS EF index (format 1.2) written from its definition, independently of the builder: the
 * Elias-Fano stream of the slots f < u with keep[f] != 0 into out (bf_ef_bytes(u, n) bytes, zeroed
 * by the caller). Returns n, the kept count (nothing is written when n == 0). */
uint32_t bf_ef_encode(const uint8_t* keep, uint32_t u, uint8_t* out);
/* stream bytes for n >= 1 elements below u (0 for n == 0) */
uint32_t bf_ef_bytes(uint32_t u, uint32_t n);
/* the same from the n >= 1 strictly increasing elements f[] < u */
void bf_ef_encode_list(const uint32_t* f, uint32_t n, uint32_t u, uint8_t* out);

/* xorshift32 */
uint32_t bf_rand(uint32_t* s);
int32_t bf_range(uint32_t* s, int32_t lo, int32_t hi); /* inclusive */

#endif
