/* MCU example application: classifies the test images embedded in an exported model header with
 * the TinyPrune runtime and prints the results over semihosting (printf lives in the app, never in
 * the runtime library). Exit status: 0 if every image ran (and matched its label when the header
 * provides labels computed by the host runtime), 1 otherwise.
 *
 * model.h contract (written by the exporter, or by make_demo_model.c here):
 *   MODEL_ARENA_SIZE           bytes of working memory to reserve (>= tpr_arena_size on target)
 *   model_blob[], model_blob_size   the .fwcs blob, 16-byte aligned const array (stays in flash)
 *   MODEL_NUM_TEST_IMAGES, model_test_images[][input bytes], model_test_labels[] (optional data)
 */
#include <stdio.h>
#include <string.h>

#include "icount.h"
#include "model.h"
#include "tpr.h"

static uint8_t arena[MODEL_ARENA_SIZE] __attribute__((aligned(16)));

int main(int argc, char** argv) {
  (void)argc; (void)argv;
  size_t need = 0;
  tpr_status st = tpr_arena_size(model_blob, model_blob_size, &need);
  if (st != TPR_OK) { printf("invalid model blob: %s\n", tpr_status_str(st)); return 1; }
  printf("model: %u bytes, arena %u of %u bytes\n", (unsigned)model_blob_size, (unsigned)need,
         (unsigned)sizeof arena);
  tpr_model m;
  st = tpr_model_init(model_blob, model_blob_size, arena, sizeof arena, &m);
  if (st != TPR_OK) { printf("tpr_model_init: %s\n", tpr_status_str(st)); return 1; }
  const tpr_tensor* in = tpr_input(&m, 0);
  const tpr_tensor* out = tpr_output(&m, 0);
  int correct = 0;
  /* Marks 3, 4: the cost of a mark itself; 1, 2: around the first inference (QEMU instruction
   * counting, bench/mcu_e2e; no effect on a real board). */
  icount_mark(3);
  icount_mark(4);
  for (int i = 0; i < MODEL_NUM_TEST_IMAGES; ++i) {
    memcpy(in->data, model_test_images[i], in->bytes);
    if (i == 0) icount_mark(1);
    const tpr_status inv = tpr_invoke(&m);
    if (i == 0) icount_mark(2);
    if (inv != TPR_OK) { printf("invoke failed\n"); return 1; }
    size_t best = 0;
    for (size_t c = 1; c < out->bytes; ++c)
      if (out->data[c] > out->data[best]) best = c;
    const int ok = (int)best == model_test_labels[i];
    correct += ok;
    printf("image %d: class %u (logit %d, real %.3f) label %u %s\n", i, (unsigned)best,
           out->data[best], (double)(out->scale * (float)(out->data[best] - out->zero_point)),
           (unsigned)model_test_labels[i], ok ? "ok" : "MISMATCH");
  }
  printf("%d of %d images match their label\n", correct, MODEL_NUM_TEST_IMAGES);
  return correct == MODEL_NUM_TEST_IMAGES ? 0 : 1;
}
