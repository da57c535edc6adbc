/* Firmware test: runs the embedded blobs (generated on the host by tpr_gen_mcu_data) with the
 * target's kernels and compares every output byte with the host runtime's results. The exit
 * status (= QEMU's) is non-zero on any mismatch. */
#include <stdio.h>
#include <string.h>

#include "tpr.h"
#include "tpr_mcu_data.h"

static uint8_t arena[512 * 1024] __attribute__((aligned(16)));

int main(int argc, char** argv) {
  (void)argc; (void)argv;
  int failed = 0, passed = 0;
  for (size_t c = 0; c < sizeof tpr_mcu_cases / sizeof tpr_mcu_cases[0]; ++c) {
    const tpr_mcu_case* k = &tpr_mcu_cases[c];
    size_t need = 0;
    tpr_status st = tpr_arena_size(k->blob, k->size, &need);
    tpr_model m;
    if (st == TPR_OK) st = tpr_model_init(k->blob, k->size, arena, sizeof arena, &m);
    if (st != TPR_OK) {
      printf("case %u: init failed: %s (arena %u)\n", (unsigned)c, tpr_status_str(st), (unsigned)need);
      ++failed;
      continue;
    }
    for (int rep = 0; rep < TPR_MCU_REPS; ++rep) {
      for (int i = 0; i < k->num_inputs; ++i) {
        const tpr_tensor* v = tpr_input(&m, (size_t)i);
        memcpy(v->data, k->inputs[rep][i], v->bytes);
      }
      if (tpr_invoke(&m) != TPR_OK) { ++failed; continue; }
      for (int i = 0; i < k->num_outputs; ++i) {
        const tpr_tensor* v = tpr_output(&m, (size_t)i);
        if (memcmp(v->data, k->outputs[rep][i], v->bytes) == 0) {
          ++passed;
        } else {
          ++failed;
          printf("case %u rep %d output %d: mismatch\n", (unsigned)c, rep, i);
        }
      }
    }
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
