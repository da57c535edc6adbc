// Serializes a QuantizedModel and its memory plan into a `.fwcs` blob, exclusively through the
// runtime's C builder (runtime/include/tpr_builder.h); no blob byte is written here.
//
// Layout conversions (FORMAT.md 9.3/9.4): conv weights OIHW -> OHWI (`permute({0,2,3,1})`),
// depthwise [Cout,1,KH,KW] -> 1HWO (`permute({2,3,1,0})`), FC columns permuted from LibTorch's NCHW
// flatten order to NHWC: W_tpr[o][(h*W + w)*C + c] = W_torch[o][(c*H + h)*W + w]. Tensors are
// added in id order (blob tensor id == DeployedGraph op id), ops in the plan's execution order, and
// the plan's offsets are passed to tpr_builder_set_plan.
//
// Usage:
//   BlobBuild b = write_blob(q, plan, StoragePolicy::kAuto);
//   write_file_atomic("model.fwcs", std::string(b.blob.begin(), b.blob.end()));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "export/memory_plan.h"
#include "export/quantized_model.h"

namespace tinyprune {

// How conv2d weights are stored: kAuto = FWCS iff smaller than dense (TPR_STORAGE_AUTO),
// kNever = always dense, kAlways = always FWCS. Depthwise and FC are always dense.
enum class StoragePolicy { kAuto, kNever, kAlways };

// One runtime op, in execution order.
struct LayerStorage {
  std::string name;              // QOp::name
  std::string op;                // qop_type_name
  std::string storage;           // "dense" | "fwcs" | "" (no weights)
  int64_t weight_bytes = 0;      // int8 values + FWCS index arrays stored
  int64_t dense_weight_bytes = 0;  // cout*kh*kw*cin: what dense storage takes
  int64_t quant_bytes = 0;       // bias + multiplier + shift arrays (9 bytes per output channel)
  int64_t filterlets = 0;        // cout*kh*kw (conv), 0 otherwise
  int64_t kept_filterlets = 0;   // stored (FWCS) or all (dense)
  int64_t macs = 0;              // dense count (the ResourceModel's rule)
  int64_t executed_macs = 0;     // what the kernel runs: FWCS skips dropped filterlets
};

struct BlobBuild {
  std::vector<uint8_t> blob;
  std::vector<LayerStorage> layers;
};

// Throws ExportError naming the op and the builder status if the builder rejects anything.
BlobBuild write_blob(const QuantizedModel& q, const MemoryPlan& plan, StoragePolicy policy = StoragePolicy::kAuto);

}  // namespace tinyprune
