#include "core/train/optimizer.h"

#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include "core/error.h"

namespace tinyprune {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::vector<torch::Tensor>& params,
                                                        const OptimizerOptions& o) {
  if (o.name == "sgd") {
    auto opts = torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay);
    return std::make_unique<torch::optim::SGD>(params, opts);
  }
  if (o.name == "adam") {
    auto opts = torch::optim::AdamOptions(o.lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(o.weight_decay);
    return std::make_unique<torch::optim::Adam>(params, opts);
  }
  throw ConfigError(str_cat("unknown optimizer \"", o.name, "\"; expected sgd or adam"));
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace tinyprune
