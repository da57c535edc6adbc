// Optimizer construction from OptimizerOptions, and per-step learning-rate assignment.
#pragma once

#include <torch/optim/optimizer.h>

#include <memory>
#include <vector>

#include "core/train/train_options.h"

namespace tinyprune {

// SGD (momentum, nesterov, weight decay) or Adam over `params`.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::vector<torch::Tensor>& params,
                                                        const OptimizerOptions& options);

// Sets the learning rate of every parameter group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace tinyprune
