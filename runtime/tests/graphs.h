/* Small deterministic test graphs: built through tpr_builder and evaluated by the brute-force
 * oracle. Shared by the host round-trip test and the MCU test-data generator. */
#ifndef TPR_TEST_GRAPHS_H
#define TPR_TEST_GRAPHS_H

#include <stddef.h>

#include "bruteforce.h"
#include "tpr_builder.h"

typedef enum { TG_CONV, TG_DW, TG_FC, TG_ADD, TG_MAXPOOL, TG_AVGPOOL, TG_GAP, TG_RESHAPE } tg_kind;

typedef struct {
  tg_kind kind;
  tpr_builder_conv conv; /* TG_CONV, TG_DW */
  tpr_builder_fc fc;
  tpr_builder_add add;
  tpr_builder_pool pool;
  tpr_builder_gap gap;
  uint16_t in, out;      /* TG_RESHAPE */
} tg_layer;

#define TG_MAX_TENSORS 64
#define TG_MAX_LAYERS 48
#define TG_MAX_ALLOCS 256

typedef struct {
  tpr_builder_tensor tensors[TG_MAX_TENSORS];
  int num_tensors;
  tg_layer layers[TG_MAX_LAYERS];
  int num_layers;
  uint16_t inputs[4], outputs[4];
  int num_inputs, num_outputs;
  void* allocs[TG_MAX_ALLOCS];
  int num_allocs;
  uint32_t seed;
} tg_graph;

#define TG_NUM_GRAPHS 5
/** 0: small CNN using every op (FWCS + dense conv, dw, 1x1, add, pools, gap, reshape, 2 FCs);
 *  1: one 3x3 conv 8x8x20 -> 24, FWCS (CSR index) ~60 % pruned with empty filters, stride 2;
 *  2: two-input graph: conv on each input, add, GAP, FC (several inputs / outputs);
 *  3: three 3x3 convs 9x10x16 -> 32 -> 12 -> 7, FWCS with the MASK index, empty filters;
 *  4: convs 9x10x16 -> 32 -> 24 -> 7 (3x3) -> 6 (7x7, 49 taps), FWCS with the EF index (the
 *     first by TPR_STORAGE_AUTO at ~10 % kept, the others forced), empty filters. */
void tg_make(tg_graph* g, int which, uint32_t seed);
void tg_free(tg_graph* g);
/** Serialize through tpr_builder (malloc'd blob, caller frees). */
tpr_status tg_serialize(const tg_graph* g, void** blob, size_t* size);
/** Random inputs (malloc'd per input), deterministic from seed. */
void tg_random_input(const tg_graph* g, int i, uint32_t seed, int8_t* out);
/** Oracle: inputs[i] has numel(inputs) bytes; outputs[i] must hold numel(output i) bytes. */
void tg_eval_bf(const tg_graph* g, int8_t* const* inputs, int8_t** outputs);

#endif
