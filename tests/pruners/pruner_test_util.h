// Shared by the pruner tests: a tiny synthetic data set, small zoo models and a one-call
// "train with this pruner" helper.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "core/graph_module.h"
#include "core/models/zoo.h"
#include "core/train/trainer.h"
#include "datasets/data_options.h"
#include "datasets/registry.h"
#include "pruners/registry.h"
#include "tests/models/model_test_util.h"

namespace tinyprune::testing {

inline DataSplits tiny_data(int64_t train = 256, int64_t test = 96, double val_fraction = 0.25) {
  DataOptions o;
  o.name = "synthetic";
  o.synthetic_train = train;
  o.synthetic_test = test;
  o.synthetic_classes = 4;
  o.synthetic_channels = 1;
  o.synthetic_size = 12;
  o.val_fraction = val_fraction;
  return DatasetRegistry::global().create(o, /*seed=*/5);
}

inline GraphModule tiny_model(const std::string& name, const DataSplits& data, double width = 0.25) {
  torch::manual_seed(0);
  return GraphModule(build_model(make_spec(name, data.train->sample_shape(), width, data.train->num_classes())));
}

inline TrainOptions tiny_train(int64_t epochs = 2) {
  TrainOptions o;
  o.epochs = epochs;
  o.batch_size = 32;
  o.workers = 0;
  o.optimizer.lr = 0.05;
  o.optimizer.momentum = 0.9;
  o.optimizer.weight_decay = 5e-4;
  return o;
}

// BN affine parameters and running statistics away from their defaults (beta and running mean
// ~ N(0, spread)), so a channel that compaction or conversion mixes up shows in the output.
inline void randomize_batch_norms(GraphModule& model, double spread) {
  torch::NoGradGuard no_grad;
  const Graph& g = model->graph();
  for (int id = 0; id < g.size(); ++id) {
    if (g.node(id).kind != OpKind::kBatchNorm) continue;
    auto& bn = model->batch_norm(id);
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.normal_(0.0, spread);
    bn->running_mean.normal_(0.0, spread);
    bn->running_var.uniform_(0.5, 2.0);
  }
}

// A pruner built from a `prune` section written as YAML text.
inline std::unique_ptr<Pruner> make_pruner(const std::string& yaml) {
  register_builtin_pruners();
  return PrunerRegistry::global().create(YAML::Load(yaml), "<test>");
}

}  // namespace tinyprune::testing
