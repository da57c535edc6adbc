#include "export/calibration.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "datasets/dataset.h"
#include "datasets/splits.h"

namespace tinyprune {

ActivationRanges calibrate(GraphModuleImpl& model, const DeployedGraph& deployed,
                           const std::vector<torch::Tensor>& batches) {
  TP_CHECK_T(ExportError, !batches.empty(), "calibration needs at least one batch");
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  ActivationRanges r;
  const size_t n = static_cast<size_t>(deployed.size());
  r.min.assign(n, std::numeric_limits<double>::infinity());
  r.max.assign(n, -std::numeric_limits<double>::infinity());
  try {
    for (const torch::Tensor& batch : batches) {
      const std::vector<torch::Tensor> values = model.forward_all(batch.to(torch::kFloat));
      for (int t = 0; t < deployed.size(); ++t) {
        const torch::Tensor& v = values[static_cast<size_t>(deployed.op(t).output_node)];
        const auto mm = torch::aminmax(v);
        r.min[static_cast<size_t>(t)] = std::min(r.min[static_cast<size_t>(t)], std::get<0>(mm).item<double>());
        r.max[static_cast<size_t>(t)] = std::max(r.max[static_cast<size_t>(t)], std::get<1>(mm).item<double>());
      }
      r.samples += batch.size(0);
    }
  } catch (...) {
    model.train(was_training);
    throw;
  }
  model.train(was_training);
  for (int t = 0; t < deployed.size(); ++t)
    TP_CHECK_T(ExportError, std::isfinite(r.min[static_cast<size_t>(t)]) && std::isfinite(r.max[static_cast<size_t>(t)]),
               "calibration: tensor \"", deployed.op(t).name, "\" has non-finite values (range [",
               r.min[static_cast<size_t>(t)], ", ", r.max[static_cast<size_t>(t)], "])");
  return r;
}

std::vector<torch::Tensor> calibration_batches(const Dataset& data, int64_t batches, int64_t batch_size,
                                               uint64_t seed) {
  TP_CHECK_T(ExportError, batches >= 1 && batch_size >= 1, "calibration needs batches >= 1 and batch_size >= 1, got ",
             batches, " and ", batch_size);
  TP_CHECK_T(ExportError, data.size() > 0, "calibration data set is empty");
  // random_subset returns ascending indices; shuffle-free is fine for min/max statistics.
  const std::vector<int64_t> idx = random_subset(data.size(), batches * batch_size, seed);
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < idx.size(); i += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(idx.size(), i + static_cast<size_t>(batch_size));
    out.push_back(data.get_unaugmented_batch(std::vector<int64_t>(idx.begin() + static_cast<long>(i),
                                                                  idx.begin() + static_cast<long>(end)))
                      .images);
  }
  return out;
}

}  // namespace tinyprune
