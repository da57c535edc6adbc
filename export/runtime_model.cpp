#include "export/runtime_model.h"

#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "runtime/include/tpr.h"

namespace tinyprune {

namespace {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBytes = std::unique_ptr<uint8_t, FreeDeleter>;

AlignedBytes aligned_bytes(size_t n) {
  const size_t rounded = (n + 15) / 16 * 16;
  void* p = std::aligned_alloc(16, rounded == 0 ? 16 : rounded);
  TP_CHECK_T(ExportError, p != nullptr, "out of memory allocating ", n, " bytes for the runtime");
  return AlignedBytes(static_cast<uint8_t*>(p));
}

RuntimeTensorInfo info_of(const tpr_tensor* t) {
  RuntimeTensorInfo i;
  i.bytes = t->bytes;
  i.dims.assign(t->dims, t->dims + t->rank);
  i.scale = t->scale;
  i.zero_point = t->zero_point;
  return i;
}

}  // namespace

struct RuntimeModel::Impl {
  AlignedBytes blob, arena;
  tpr_model model{};
};

RuntimeModel::RuntimeModel(const std::vector<uint8_t>& blob) { init(blob.data(), blob.size()); }
RuntimeModel::RuntimeModel(const uint8_t* blob, size_t size) { init(blob, size); }
RuntimeModel::~RuntimeModel() = default;

void RuntimeModel::init(const uint8_t* blob, size_t size) {
  impl_ = std::make_unique<Impl>();
  impl_->blob = aligned_bytes(size);
  if (size) std::memcpy(impl_->blob.get(), blob, size);
  blob_bytes_ = size;
  size_t need = 0;
  tpr_status st = tpr_arena_size(impl_->blob.get(), size, &need);
  TP_CHECK_T(ExportError, st == TPR_OK, "runtime rejected the blob: ", tpr_status_str(st));
  arena_bytes_ = need;
  impl_->arena = aligned_bytes(need);
  st = tpr_model_init(impl_->blob.get(), size, impl_->arena.get(), need, &impl_->model);
  TP_CHECK_T(ExportError, st == TPR_OK, "tpr_model_init failed: ", tpr_status_str(st));
  TP_CHECK_T(ExportError, tpr_num_inputs(&impl_->model) == 1 && tpr_num_outputs(&impl_->model) == 1,
             "expected a model with one input and one output, got ", tpr_num_inputs(&impl_->model), " and ",
             tpr_num_outputs(&impl_->model));
  input_ = info_of(tpr_input(&impl_->model, 0));
  output_ = info_of(tpr_output(&impl_->model, 0));
}

int8_t* RuntimeModel::input_data() { return tpr_input(&impl_->model, 0)->data; }
const int8_t* RuntimeModel::output_data() const { return tpr_output(&impl_->model, 0)->data; }

void RuntimeModel::invoke() {
  const tpr_status st = tpr_invoke(&impl_->model);
  TP_CHECK_T(ExportError, st == TPR_OK, "tpr_invoke failed: ", tpr_status_str(st));
}

size_t runtime_arena_size(const std::vector<uint8_t>& blob) {
  AlignedBytes copy = aligned_bytes(blob.size());
  if (!blob.empty()) std::memcpy(copy.get(), blob.data(), blob.size());
  size_t need = 0;
  const tpr_status st = tpr_arena_size(copy.get(), blob.size(), &need);
  TP_CHECK_T(ExportError, st == TPR_OK, "runtime rejected the blob: ", tpr_status_str(st));
  return need;
}

}  // namespace tinyprune
