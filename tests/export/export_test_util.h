// Helpers shared by the exporter tests: non-trivial BN statistics, host-runtime execution of a
// blob and the runtime-vs-simulation comparison.
#pragma once

#include <torch/torch.h>

#include <cstring>
#include <vector>

#include "core/graph_module.h"
#include "export/blob_writer.h"
#include "export/exporter.h"
#include "export/memory_plan.h"
#include "export/fake_quant.h"
#include "export/runtime_model.h"

namespace tinyprune::testing {

// Random gamma/beta/running statistics for every BN (the defaults would make folding trivial).
inline void randomize_batch_norms(GraphModule& m, uint64_t seed = 1) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  const Graph& g = m->graph();
  for (int id = 0; id < g.size(); ++id) {
    if (g.node(id).kind != OpKind::kBatchNorm) continue;
    auto& bn = m->batch_norm(id);
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.normal_(0.0, 0.2);
    bn->running_mean.normal_(0.0, 0.2);
    bn->running_var.uniform_(0.5, 2.0);
  }
  m->eval();
}

// Runs the host runtime on every image of `input_q` (int8 [N, C, H, W]); returns int8 [N, bytes]
// in the runtime's (NHWC) order.
inline torch::Tensor run_runtime(const std::vector<uint8_t>& blob, const torch::Tensor& input_q) {
  RuntimeModel rm(blob);
  const torch::Tensor x = to_nhwc(input_q).reshape({input_q.size(0), -1}).contiguous();
  const int64_t n = input_q.size(0);
  torch::Tensor out = torch::empty({n, static_cast<int64_t>(rm.output().bytes)}, torch::kInt8);
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(rm.input_data(), x[i].data_ptr<int8_t>(), rm.input().bytes);
    rm.invoke();
    std::memcpy(out[i].data_ptr<int8_t>(), rm.output_data(), rm.output().bytes);
  }
  return out;
}

struct Comparison {
  int64_t max_lsb = 0;     // max |runtime - simulation| over every output element
  int64_t elements = 0;
  int64_t exact = 0;       // elements where both agree exactly
};

// Runtime vs fake-quant simulation on float images [N, C, H, W].
inline Comparison compare_with_simulation(const ExportResult& r, const torch::Tensor& images) {
  const torch::Tensor xq = quantize_input(r.quantized, images);
  const torch::Tensor sim = to_nhwc(simulate(r.quantized, xq)).reshape({images.size(0), -1}).to(torch::kLong);
  const torch::Tensor rt = run_runtime(r.blob, xq).to(torch::kLong);
  Comparison c;
  const torch::Tensor d = (rt - sim).abs();
  c.max_lsb = d.max().item<int64_t>();
  c.elements = d.numel();
  c.exact = d.eq(0).sum().item<int64_t>();
  return c;
}

struct OpComparison {
  int64_t max_lsb = 0;     // max over ops and elements of |runtime - simulate_op(runtime inputs)|
  std::string worst_op;
  int64_t elements = 0, exact = 0;
  int64_t ops = 0;
};

// Op by op: the blob re-serialized with a no-reuse plan (same quantized model and storage policy),
// every intermediate tensor read back from the runtime's arena after tpr_invoke(), and each op
// simulated on the runtime's own inputs. Isolates each op's rounding from upstream differences.
inline OpComparison compare_ops_with_simulation(const ExportResult& r, const torch::Tensor& images,
                                                StoragePolicy policy = StoragePolicy::kAuto) {
  const QuantizedModel& q = r.quantized;
  const MemoryPlan plan = without_reuse(r.plan);
  const BlobBuild b = write_blob(q, plan, policy);
  RuntimeModel rm(b.blob);
  const torch::Tensor xq = quantize_input(q, images);
  const torch::Tensor x = to_nhwc(xq).reshape({xq.size(0), -1}).contiguous();
  const int64_t n = xq.size(0);
  std::vector<torch::Tensor> values(q.tensors.size());
  for (size_t t = 0; t < q.tensors.size(); ++t) {
    const TensorShape& s = q.tensors[t].shape;
    values[t] = torch::empty({n, s.c, s.h, s.w}, torch::kInt8);
  }
  const int8_t* base = rm.input_data() - plan.offsets[static_cast<size_t>(q.input)];
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(rm.input_data(), x[i].data_ptr<int8_t>(), rm.input().bytes);
    rm.invoke();
    for (size_t t = 0; t < q.tensors.size(); ++t) {
      const TensorShape& s = q.tensors[t].shape;
      torch::Tensor hwc = torch::from_blob(const_cast<int8_t*>(base + plan.offsets[t]), {s.h, s.w, s.c}, torch::kInt8);
      values[t][i].copy_(hwc.permute({2, 0, 1}));
    }
  }
  OpComparison c;
  for (const QOp& o : q.ops) {
    const torch::Tensor sim = simulate_op(q, o, values).to(torch::kLong);
    const torch::Tensor d = (values[static_cast<size_t>(o.output)].to(torch::kLong) - sim).abs();
    const int64_t m = d.max().item<int64_t>();
    if (m > c.max_lsb) {
      c.max_lsb = m;
      c.worst_op = o.name;
    }
    c.elements += d.numel();
    c.exact += d.eq(0).sum().item<int64_t>();
    ++c.ops;
  }
  return c;
}

// In-memory export (no files) with random calibration data.
inline ExportResult export_in_memory(GraphModule& m, const std::vector<torch::Tensor>& calib,
                                     ExportOptions o = ExportOptions{}) {
  o.out = "";
  return export_model(m, calib, o);
}

}  // namespace tinyprune::testing
