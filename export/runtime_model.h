// RuntimeModel: the host build of the C runtime (runtime/include/tpr.h) behind a small C++ owner.
//
// It copies the blob into 16-byte aligned storage, allocates the arena tpr_arena_size() asks for
// and calls tpr_model_init(); both throw ExportError with the runtime's status on failure. One
// instance is used by one thread at a time (the runtime's rule); several instances over the same
// blob are independent (evaluate_blob runs one per thread).
//
// Usage:
//   RuntimeModel m(blob);
//   std::memcpy(m.input_data(), image_nhwc_int8, m.input().bytes);
//   m.invoke();
//   const int8_t* logits = m.output_data();
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace tinyprune {

// One graph input / output as the runtime reports it.
struct RuntimeTensorInfo {
  size_t bytes = 0;                  // int8 elements
  std::vector<int32_t> dims;         // NHWC (rank 4) or [N, C] (rank 2)
  float scale = 1.0f;
  int32_t zero_point = 0;
};

class RuntimeModel {
 public:
  // Validates and prepares `blob` (copied). Throws ExportError naming the runtime status.
  explicit RuntimeModel(const std::vector<uint8_t>& blob);
  RuntimeModel(const uint8_t* blob, size_t size);
  ~RuntimeModel();
  RuntimeModel(const RuntimeModel&) = delete;
  RuntimeModel& operator=(const RuntimeModel&) = delete;

  // Bytes tpr_arena_size() reported for this blob with the linked (host) kernels.
  size_t arena_bytes() const { return arena_bytes_; }
  size_t blob_bytes() const { return blob_bytes_; }
  const RuntimeTensorInfo& input() const { return input_; }
  const RuntimeTensorInfo& output() const { return output_; }
  // Graph input 0 / output 0 buffers inside the arena (write the input before every invoke()).
  int8_t* input_data();
  const int8_t* output_data() const;
  // Runs every op; throws ExportError on a runtime error status.
  void invoke();

 private:
  void init(const uint8_t* blob, size_t size);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t arena_bytes_ = 0, blob_bytes_ = 0;
  RuntimeTensorInfo input_, output_;
};

// tpr_arena_size() of a blob (validates it); throws ExportError on a bad blob.
size_t runtime_arena_size(const std::vector<uint8_t>& blob);

}  // namespace tinyprune
