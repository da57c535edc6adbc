#include "export/evaluate_blob.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <numeric>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "datasets/dataset.h"
#include "export/blob_info.h"
#include "export/fake_quant.h"
#include "export/runtime_model.h"

namespace tinyprune {

namespace {

int64_t argmax_first(const int8_t* v, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;
  return static_cast<int64_t>(best);
}

}  // namespace

Json BlobEvalResult::to_json() const {
  Json j = Json::object();
  j["count"] = count;
  j["accuracy"] = accuracy;
  if (has_reference) {
    j["reference_accuracy"] = reference_accuracy;
    j["agreement"] = agreement;
  }
  j["flash_bytes"] = flash_bytes;
  j["tensor_arena_bytes"] = tensor_arena_bytes;
  j["arena_bytes"] = arena_bytes;
  j["macs"] = macs;
  j["executed_macs"] = executed_macs;
  j["seconds"] = seconds;
  j["images_per_second"] = seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
  j["threads"] = threads;
  return j;
}

BlobEvalResult evaluate_blob(const std::vector<uint8_t>& blob, const Dataset& data, const BlobEvalOptions& options,
                             GraphModule* reference) {
  torch::NoGradGuard no_grad;
  const BlobInfo info = inspect_blob(blob);
  BlobEvalResult r;
  r.flash_bytes = info.blob_bytes;
  r.tensor_arena_bytes = info.tensor_arena_bytes;
  r.arena_bytes = info.runtime_arena_bytes;
  r.macs = info.macs;
  r.executed_macs = info.executed_macs;

  const int64_t hw_threads = std::max<int64_t>(1, std::thread::hardware_concurrency());
  const int64_t threads = options.threads > 0 ? options.threads : hw_threads;
  std::vector<std::unique_ptr<RuntimeModel>> models;
  for (int64_t t = 0; t < threads; ++t) models.push_back(std::make_unique<RuntimeModel>(blob));
  r.threads = threads;
  const RuntimeTensorInfo& in = models[0]->input();
  const TensorShape s = data.sample_shape();
  TP_CHECK_T(ExportError, in.dims.size() == 4 && in.dims[1] == s.h && in.dims[2] == s.w && in.dims[3] == s.c,
             "blob input is ", in.dims.size() == 4 ? str_cat(in.dims[3], "x", in.dims[1], "x", in.dims[2]) : "not an image",
             " (CxHxW), the data set's images are ", shape_string(s));
  const size_t in_bytes = in.bytes, out_bytes = models[0]->output().bytes;
  ActivationParams in_q;
  in_q.scale = in.scale;
  in_q.zero_point = in.zero_point;

  const int64_t n = options.limit > 0 ? std::min(options.limit, data.size()) : data.size();
  const int64_t bs = std::max<int64_t>(1, options.batch_size);
  bool was_training = false;
  if (reference) {
    was_training = (*reference)->is_training();
    (*reference)->eval();
  }
  int64_t correct = 0, ref_correct = 0, agree = 0;
  for (int64_t start = 0; start < n; start += bs) {
    const int64_t m = std::min(bs, n - start);
    std::vector<int64_t> idx(static_cast<size_t>(m));
    std::iota(idx.begin(), idx.end(), start);
    const Batch batch = data.get_unaugmented_batch(idx);
    const torch::Tensor xq = to_nhwc(quantize_tensor(batch.images, in_q)).reshape({m, -1}).contiguous();
    TP_CHECK_T(ExportError, static_cast<size_t>(xq.size(1)) == in_bytes, "quantized image has ", xq.size(1),
               " bytes, the blob input ", in_bytes);
    std::vector<int64_t> pred(static_cast<size_t>(m));
    const auto t0 = std::chrono::steady_clock::now();
    const int8_t* xdata = xq.data_ptr<int8_t>();
    auto work = [&](int64_t tid) {
      RuntimeModel& rm = *models[static_cast<size_t>(tid)];
      for (int64_t i = tid; i < m; i += threads) {
        std::memcpy(rm.input_data(), xdata + static_cast<size_t>(i) * in_bytes, in_bytes);
        rm.invoke();
        pred[static_cast<size_t>(i)] = argmax_first(rm.output_data(), out_bytes);
      }
    };
    if (threads == 1) {
      work(0);
    } else {
      std::vector<std::thread> pool;
      std::exception_ptr error;
      std::mutex mu;
      for (int64_t t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
          try {
            work(t);
          } catch (...) {
            std::lock_guard<std::mutex> lock(mu);
            error = std::current_exception();
          }
        });
      for (auto& th : pool) th.join();
      if (error) std::rethrow_exception(error);
    }
    r.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto labels = batch.labels.accessor<int64_t, 1>();
    for (int64_t i = 0; i < m; ++i) correct += pred[static_cast<size_t>(i)] == labels[i];
    if (reference) {
      const torch::Tensor ref = (*reference)->forward(batch.images).argmax(1);
      auto rp = ref.accessor<int64_t, 1>();
      for (int64_t i = 0; i < m; ++i) {
        ref_correct += rp[i] == labels[i];
        agree += rp[i] == pred[static_cast<size_t>(i)];
      }
    }
  }
  if (reference) (*reference)->train(was_training);
  r.count = n;
  if (n > 0) {
    r.accuracy = static_cast<double>(correct) / static_cast<double>(n);
    if (reference) {
      r.has_reference = true;
      r.reference_accuracy = static_cast<double>(ref_correct) / static_cast<double>(n);
      r.agreement = static_cast<double>(agree) / static_cast<double>(n);
    }
  }
  return r;
}

}  // namespace tinyprune
