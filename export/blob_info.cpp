#include "export/blob_info.h"

#include "core/error.h"
#include "export/runtime_model.h"
#include "runtime/include/tpr_format.h"

namespace tinyprune {

namespace {

uint32_t rd_u16(const uint8_t* p) { return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8); }
uint32_t rd_u32(const uint8_t* p) { return rd_u16(p) | (rd_u16(p + 2) << 16); }

// Offset of section `id` (the runtime validated that each appears once and lies inside the blob).
const uint8_t* section(const std::vector<uint8_t>& blob, uint32_t id) {
  const uint8_t* b = blob.data();
  const uint32_t count = rd_u32(b + TPR_FMT_HDR_SECTION_COUNT);
  const uint32_t table = rd_u32(b + TPR_FMT_HDR_SECTION_TABLE);
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* e = b + table + i * TPR_FMT_SEC_ENTRY_SIZE;
    if (rd_u32(e + TPR_FMT_SEC_ID) == id) return b + rd_u32(e + TPR_FMT_SEC_OFFSET);
  }
  throw ExportError(str_cat("blob has no section ", id));
}

std::vector<int32_t> dims_of(const uint8_t* tensors, uint32_t t) {
  const uint8_t* r = tensors + t * TPR_FMT_TENSOR_SIZE;
  std::vector<int32_t> d;
  for (uint32_t i = 0; i < r[TPR_FMT_TENSOR_RANK]; ++i) d.push_back(static_cast<int32_t>(rd_u32(r + TPR_FMT_TENSOR_DIMS + 4 * i)));
  return d;
}

}  // namespace

BlobInfo inspect_blob(const std::vector<uint8_t>& blob) {
  BlobInfo info;
  info.runtime_arena_bytes = static_cast<int64_t>(runtime_arena_size(blob));  // validates
  info.blob_bytes = static_cast<int64_t>(rd_u32(blob.data() + TPR_FMT_HDR_TOTAL_SIZE));
  const uint8_t* model = section(blob, TPR_SEC_MODEL);
  const uint8_t* tensors = section(blob, TPR_SEC_TENSORS);
  const uint8_t* ops = section(blob, TPR_SEC_OPS);
  const uint8_t* weights = section(blob, TPR_SEC_WEIGHTS);
  const uint8_t* plan = section(blob, TPR_SEC_PLAN);
  info.num_tensors = rd_u32(model + TPR_FMT_MODEL_NUM_TENSORS);
  info.num_ops = rd_u32(model + TPR_FMT_MODEL_NUM_OPS);
  const uint32_t num_inputs = rd_u16(model + TPR_FMT_MODEL_NUM_INPUTS);
  info.input_dims = dims_of(tensors, rd_u16(model + TPR_FMT_MODEL_FIXED_SIZE));
  info.output_dims = dims_of(tensors, rd_u16(model + TPR_FMT_MODEL_FIXED_SIZE + 2 * num_inputs));
  info.tensor_arena_bytes = rd_u32(plan + TPR_FMT_PLAN_ARENA_SIZE);
  for (int64_t i = 0; i < info.num_ops; ++i) {
    const uint8_t* op = ops + i * TPR_FMT_OP_SIZE;
    const uint32_t code = op[TPR_FMT_OP_OPCODE];
    if (code != TPR_OP_CONV2D && code != TPR_OP_DEPTHWISE_CONV2D && code != TPR_OP_FULLY_CONNECTED) continue;
    const uint8_t* w = weights + rd_u16(op + TPR_FMT_OP_WEIGHTS) * TPR_FMT_W_SIZE;
    const int64_t cout = rd_u32(w + TPR_FMT_W_COUT), kh = rd_u16(w + TPR_FMT_W_KH), kw = rd_u16(w + TPR_FMT_W_KW);
    const int64_t cin = rd_u32(w + TPR_FMT_W_CIN);
    const bool fwcs = w[TPR_FMT_W_KIND] == TPR_WEIGHTS_FWCS;
    (fwcs ? info.fwcs_layers : info.dense_layers)++;
    const std::vector<int32_t> out = dims_of(tensors, rd_u16(op + TPR_FMT_OP_OUTPUT));
    int64_t pixels = 1;  // N*OH*OW for NHWC outputs, N for FC
    for (size_t d = 0; d + 1 < out.size(); ++d) pixels *= out[d];
    const int64_t macs = pixels * cout * kh * kw * cin;
    info.macs += macs;
    info.executed_macs += fwcs ? pixels * static_cast<int64_t>(rd_u32(w + TPR_FMT_W_NKEPT)) * cin : macs;
  }
  return info;
}

}  // namespace tinyprune
