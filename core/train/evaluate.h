// Evaluation of a model on a data set: top-1 accuracy and mean cross-entropy, in eval mode,
// without gradients, over the whole set (no augmentation).
#pragma once

#include <cstdint>
#include <memory>

#include "core/graph_module.h"

namespace tinyprune {

class Dataset;
class Communicator;

struct EvalResult {
  double accuracy = 0.0;  // top-1, in [0, 1]
  double loss = 0.0;      // mean cross-entropy
  int64_t count = 0;      // examples evaluated
};

EvalResult evaluate(GraphModule& model, const std::shared_ptr<const Dataset>& data, int64_t batch_size = 512,
                    int64_t workers = 1, Communicator* comm = nullptr);

}  // namespace tinyprune
