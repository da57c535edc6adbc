// Importance: which units go. A scorer gives one score per unit (higher = keep) at the
// granularity a pruner asks for; pruners rank units by score and never look at weights directly.
//
//   name       per weight     per channel group            per filterlet [Cout, KH, KW]
//   l1         |w|            sum over producers of ||W_o||_1 (filter L1 norm)   sum_c |w|
//   l2         w^2            sum over producers of ||W_o||_2                    sqrt(sum_c w^2)
//   bn_gamma   -              max over the group's BN members of |gamma|         -
//   taylor     |w*g|          sum over producers of |sum_{c,kh,kw} w*g|          sum_c |w*g|
//                             (first-order Taylor; g averaged over the validation batches given
//                             to prepare())
//   random     U(0,1)         U(0,1)                                            U(0,1)
// Channel scores of a linear producer use its weight rows; a group whose producers carry no
// weights (none) scores 0. "-" throws Error naming the importance and the granularity.
//
// prepare() is called once before scoring (Taylor accumulates gradients there; the others do
// nothing). Scores are computed on the current weights, masks included (pruned units score 0).
//
// Usage:
//   auto imp = make_importance("taylor");
//   imp->prepare(model, *ctx.data->val, /*batches=*/8, /*batch_size=*/64);
//   torch::Tensor s = imp->channel_scores(model, groups.group(g));   // [C_g]
#pragma once

#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/graph_module.h"
#include "core/resources/channel_groups.h"

namespace tinyprune {

class Dataset;

class Importance {
 public:
  virtual ~Importance() = default;
  virtual std::string name() const = 0;
  // Gradient-based scorers accumulate what they need over `batches` batches of `data`
  // (0 = the whole set). The model's parameter gradients are clobbered (zeroed afterwards).
  virtual void prepare(GraphModule& /*model*/, const Dataset& /*data*/, int64_t /*batches*/, int64_t /*batch_size*/) {}
  // Same shape as the node's weight.
  virtual torch::Tensor weight_scores(GraphModule& model, int node) const;
  // [C_g]
  virtual torch::Tensor channel_scores(GraphModule& model, const ChannelGroup& group) const;
  // [Cout, KH, KW]; conv nodes only.
  virtual torch::Tensor filterlet_scores(GraphModule& model, int node) const;

 protected:
  [[noreturn]] void unsupported(const char* granularity) const;
};

// "l1" | "l2" | "bn_gamma" | "taylor" | "random" (random takes `seed`). Throws Error listing the
// known names.
std::unique_ptr<Importance> make_importance(const std::string& name, uint64_t seed = 0);
std::vector<std::string> importance_names();

// 0/1 float mask of scores' shape keeping the k highest scores (ties: lower flat index kept).
torch::Tensor keep_top_k(const torch::Tensor& scores, int64_t k);

// Averaged gradient of the cross-entropy over `batches` batches of `data` (0 = all), per
// parameter name ("<node>.weight"); the model is in eval mode during the pass (BN running
// statistics untouched) and its gradients are zeroed afterwards.
std::map<std::string, torch::Tensor> average_gradients(GraphModule& model, const Dataset& data, int64_t batches,
                                                       int64_t batch_size);

}  // namespace tinyprune
