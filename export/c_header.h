// The C header for firmware: the blob as a 16-byte aligned const array (stays in flash) plus the
// sizes an application needs. The contract (`<P>` = upper-case symbol, `<p>` = symbol, default
// "model", matching examples/mcu_app):
//
//   #define <P>_BLOB_SIZE          blob bytes
//   #define <P>_ARENA_SIZE         arena to reserve: the host tpr_arena_size() * 1.5 + 4096 (scratch
//                                  differs per kernel set; the app checks tpr_arena_size() on target)
//   #define <P>_HOST_ARENA_SIZE    tpr_arena_size() with the host kernels
//   #define <P>_TENSOR_ARENA_SIZE  the exporter's activation plan (PLAN.arena_size)
//   #define <P>_INPUT_BYTES / <P>_OUTPUT_BYTES, <P>_INPUT_SCALE / <P>_INPUT_ZERO_POINT,
//           <P>_OUTPUT_SCALE / <P>_OUTPUT_ZERO_POINT, <P>_INPUT_H / _W / _C
//   static const size_t <p>_blob_size;
//   static const unsigned char <p>_blob[<P>_BLOB_SIZE]      aligned to 16 (alignas / _Alignas /
//                                                           __attribute__((aligned(16))))
// With test data (ExportOptions::test_images > 0):
//   #define <P>_NUM_TEST_IMAGES N
//   static const int8_t <p>_test_images[N][<P>_INPUT_BYTES]     quantized, NHWC
//   static const int8_t <p>_test_outputs[N][<P>_OUTPUT_BYTES]   the host runtime's int8 outputs
//   static const uint16_t <p>_test_labels[N]                    the host runtime's top-1 class
//   static const uint16_t <p>_test_true_labels[N]               the data set's labels
// Arrays are `static`: include the header in one translation unit.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tinyprune {

struct CHeaderModelInfo {
  std::string symbol = "model";
  std::string description;             // one comment line (model, data set, sizes)
  int64_t host_arena_bytes = 0;        // tpr_arena_size() on the host
  int64_t tensor_arena_bytes = 0;      // PLAN.arena_size
  std::vector<int32_t> input_dims, output_dims;  // NHWC / [N, C] as the runtime reports them
  float input_scale = 1, output_scale = 1;
  int32_t input_zero_point = 0, output_zero_point = 0;
};

struct CHeaderTestData {
  torch::Tensor images;    // int8 [N, input bytes]
  torch::Tensor outputs;   // int8 [N, output bytes]
  std::vector<int64_t> predicted, labels;
};

// The arena an application should reserve for a host arena of `host_bytes`.
int64_t firmware_arena_bytes(int64_t host_bytes);

// The header text. `test` may be null.
std::string c_header(const std::vector<uint8_t>& blob, const CHeaderModelInfo& info, const CHeaderTestData* test);

}  // namespace tinyprune
