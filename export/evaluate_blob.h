// evaluate_blob: accuracy of a `.fwcs` blob on a data set, run by the host build of the C runtime.
//
// Each image (the data set's normalized float [C, H, W]) is quantized with the blob's input scale
// and zero point (round half away from zero, clamp), reordered to NHWC, and run through
// tpr_invoke(); the prediction is the first arg-max of the int8 output. With a reference model the
// LibTorch fp32 top-1 of the same images is compared too (agreement). Images are spread over
// `threads` runtime instances (one arena each; the blob is shared read-only).
//
// Usage:
//   BlobEvalResult r = evaluate_blob(blob, *splits.test, {}, &model);
//   std::printf("%.4f %.4f\n", r.accuracy, r.agreement);
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/graph_module.h"
#include "core/json.h"

namespace tinyprune {

class Dataset;

struct BlobEvalOptions {
  int64_t batch_size = 256;  // images loaded / quantized at a time
  int64_t threads = 0;       // runtime worker threads; 0 = hardware concurrency
  int64_t limit = 0;         // evaluate the first `limit` images only; 0 = all
};

struct BlobEvalResult {
  int64_t count = 0;                 // images evaluated
  double accuracy = 0;               // runtime top-1 vs labels, [0, 1]
  bool has_reference = false;
  double reference_accuracy = 0;     // LibTorch fp32 top-1 on the same images
  double agreement = 0;              // fraction where runtime top-1 == fp32 top-1
  int64_t flash_bytes = 0;           // blob size
  int64_t tensor_arena_bytes = 0;    // the exporter's activation plan (PLAN.arena_size)
  int64_t arena_bytes = 0;           // tpr_arena_size() on the host: tensors + scratch + prepared ops
  int64_t macs = 0, executed_macs = 0;  // per image; executed skips FWCS-dropped filterlets
  double seconds = 0;                // runtime inference wall time (quantization excluded)
  int64_t threads = 1;

  // {"count", "accuracy", "reference_accuracy"?, "agreement"?, "flash_bytes", "tensor_arena_bytes",
  //  "arena_bytes", "macs", "executed_macs", "seconds", "images_per_second", "threads"}
  Json to_json() const;
};

// Throws ExportError for an invalid blob or a data set whose image shape differs from the blob's
// input; the reference model (optional) must accept the data set's images.
BlobEvalResult evaluate_blob(const std::vector<uint8_t>& blob, const Dataset& data, const BlobEvalOptions& options = {},
                             GraphModule* reference = nullptr);

}  // namespace tinyprune
