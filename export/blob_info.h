// Read-only summary of a `.fwcs` blob (for `tinyprune eval` of a bare blob): sizes, op counts and
// MACs, read through the field offsets of runtime/include/tpr_format.h after the runtime itself has
// validated the blob (tpr_arena_size). Never writes blob bytes.
//
//   BlobInfo i = inspect_blob(bytes);   // i.macs, i.tensor_arena_bytes, i.fwcs_layers ...
#pragma once

#include <cstdint>
#include <vector>

namespace tinyprune {

struct BlobInfo {
  int64_t blob_bytes = 0;          // flash
  int64_t tensor_arena_bytes = 0;  // PLAN.arena_size (the exporter's plan)
  int64_t runtime_arena_bytes = 0; // tpr_arena_size() with the host kernels (tensors + scratch +
                                   // prepared ops + alignment slack)
  int64_t num_ops = 0, num_tensors = 0;
  int64_t macs = 0;                // conv: OH*OW*Cout*KH*KW*Cin, depthwise: OH*OW*Cout*KH*KW, FC: in*out
  int64_t executed_macs = 0;       // FWCS convs count kept filterlets only
  int64_t dense_layers = 0, fwcs_layers = 0;
  std::vector<int32_t> input_dims, output_dims;  // NHWC / [N, C]
};

// Throws ExportError (with the runtime status) for an invalid blob.
BlobInfo inspect_blob(const std::vector<uint8_t>& blob);

}  // namespace tinyprune
