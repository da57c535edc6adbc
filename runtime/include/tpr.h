/**
 * @file tpr.h
 * @brief TinyPrune MCU inference runtime: public API (C99, no malloc, no printf).
 *
 * Usage (the caller owns all memory; the blob may live in flash and is never copied):
 * @code
 *   size_t need;
 *   if (tpr_arena_size(blob, blob_len, &need) != TPR_OK) ...;      // need <= sizeof(arena)?
 *   tpr_model m;
 *   if (tpr_model_init(blob, blob_len, arena, sizeof(arena), &m) != TPR_OK) ...;
 *   const tpr_tensor* in = tpr_input(&m, 0);
 *   memcpy(in->data, image, in->bytes);                            // int8, NHWC
 *   tpr_invoke(&m);
 *   const tpr_tensor* out = tpr_output(&m, 0);                     // int8 logits
 * @endcode
 *
 * tpr_model_init() validates the whole blob once (magic, version, CRC, every offset, length and
 * count with overflow-safe arithmetic, tensor shapes against op parameters, FWCS index arrays, op
 * support and the memory plan). After it returned TPR_OK, tpr_invoke() trusts the model (the
 * TFLite-Micro prepare/eval split). A truncated, corrupted or hostile blob yields an error status
 * and is never read out of bounds.
 *
 * Thread-safety: a tpr_model is used by one thread at a time; distinct models are independent.
 * Lifetime: the blob and the arena must outlive the model; nothing needs to be freed.
 */
#ifndef TPR_H
#define TPR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Status codes. Every public function returns one of these (TPR_OK = 0, errors negative). */
typedef enum {
  TPR_OK = 0,
  TPR_ERR_ARG = -1,         /**< NULL pointer, bad index, misaligned blob, ... (caller bug) */
  TPR_ERR_CORRUPT = -2,     /**< malformed blob: bad magic, CRC, bounds, counts, shapes, indices */
  TPR_ERR_VERSION = -3,     /**< blob format version not supported by this runtime */
  TPR_ERR_UNSUPPORTED = -4, /**< well-formed blob using an op/feature this runtime lacks */
  TPR_ERR_ARENA = -5        /**< arena (or output buffer) too small */
} tpr_status;

/** Human-readable name of a status ("TPR_OK", ...). Never NULL. */
const char* tpr_status_str(tpr_status s);

/** Flags for tpr_model_init_ex(). */
#define TPR_INIT_SKIP_CRC 1u /**< skip the CRC-32 check (e.g. blob already verified at boot);
                                  all structural checks still run */

/** A tensor view: int8 data in the arena, NHWC (rank 4), [N, C] (rank 2) or [C] (rank 1). */
typedef struct {
  int8_t* data;       /**< first element; valid while the model lives */
  size_t bytes;       /**< number of int8 elements */
  int32_t dims[4];    /**< dims[0..rank-1]; unused entries 1 */
  int32_t rank;       /**< 1..4 */
  float scale;        /**< real = scale * (q - zero_point) */
  int32_t zero_point; /**< [-128, 127] */
} tpr_tensor;

struct tpr_op_rt; /* prepared op, internal (lives in the arena) */

/** A prepared model. Fields are private: use the functions below. */
typedef struct {
  const uint8_t* blob;
  uint8_t* tensor_arena;     /**< base of the planned tensor region (16-byte aligned) */
  void* scratch;             /**< kernel scratch region */
  size_t scratch_size;
  struct tpr_op_rt* ops;     /**< num_ops prepared ops (in the arena) */
  tpr_tensor* tensors;       /**< num_tensors views (in the arena) */
  uint32_t num_ops, num_tensors;
  uint16_t num_inputs, num_outputs;
  uint16_t inputs[16], outputs[16];
} tpr_model;

/**
 * @brief Arena bytes tpr_model_init() needs for this blob with the linked kernel set.
 * @param[in]  blob       model blob (4-byte aligned; 16 recommended)
 * @param[in]  blob_size  bytes available at @p blob (>= the blob's total_size)
 * @param[out] bytes      required arena size, including alignment slack (any arena alignment)
 * @return TPR_OK; TPR_ERR_ARG (NULL, misaligned); TPR_ERR_CORRUPT; TPR_ERR_VERSION;
 *         TPR_ERR_UNSUPPORTED. Performs the same full validation as tpr_model_init().
 */
tpr_status tpr_arena_size(const void* blob, size_t blob_size, size_t* bytes);

/**
 * @brief Validate the blob and prepare a model in a caller-owned arena (zero-copy weights).
 * @param[in]  blob        model blob (4-byte aligned); must outlive @p model
 * @param[in]  blob_size   bytes available at @p blob
 * @param[in]  arena       working memory (activations, scratch, prepared ops); any alignment
 * @param[in]  arena_size  bytes at @p arena
 * @param[out] model       filled on TPR_OK; zeroed on error
 * @return TPR_OK; TPR_ERR_ARG; TPR_ERR_CORRUPT; TPR_ERR_VERSION; TPR_ERR_UNSUPPORTED;
 *         TPR_ERR_ARENA (arena_size < tpr_arena_size()).
 */
tpr_status tpr_model_init(const void* blob, size_t blob_size, void* arena, size_t arena_size,
                          tpr_model* model);

/** tpr_model_init() with flags (TPR_INIT_SKIP_CRC). Same parameters and statuses. */
tpr_status tpr_model_init_ex(const void* blob, size_t blob_size, void* arena, size_t arena_size,
                             tpr_model* model, uint32_t flags);

/** Number of graph inputs / outputs (0 for a NULL model). */
size_t tpr_num_inputs(const tpr_model* model);
size_t tpr_num_outputs(const tpr_model* model);

/**
 * @brief View of graph input @p i. Write the int8 input into view->data before tpr_invoke().
 * @return the view, or NULL if @p model is NULL or @p i is out of range.
 */
const tpr_tensor* tpr_input(const tpr_model* model, size_t i);

/** @brief View of graph output @p i (valid after tpr_invoke()); NULL if out of range. */
const tpr_tensor* tpr_output(const tpr_model* model, size_t i);

/**
 * @brief Run all ops in order. Overwrites intermediate tensors (and may overwrite inputs whose
 *        arena bytes the plan reuses: write the inputs again before every call).
 * @return TPR_OK; TPR_ERR_ARG if @p model is NULL or not initialised.
 */
tpr_status tpr_invoke(tpr_model* model);

/**
 * @brief CRC-32 (zlib/ISO-HDLC) of @p len bytes, continuing from @p crc (start with 0).
 */
uint32_t tpr_crc32(uint32_t crc, const void* data, size_t len);

/** Runtime library version (major*10000 + minor*100 + patch). */
int tpr_version(void);

#ifdef __cplusplus
}
#endif
#endif /* TPR_H */
