#include "pruners/importance.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/error.h"
#include "datasets/dataset.h"

namespace tinyprune {
namespace {


// Per-row reduction of a weight-shaped score tensor: [Cout, ...] -> [Cout].
torch::Tensor row_sum(const torch::Tensor& t) { return t.reshape({t.size(0), -1}).sum(1); }

// Sum over the group's producers of their per-output-channel scores; 0 without producers.
template <typename RowScore>
torch::Tensor sum_over_producers(GraphModule& model, const ChannelGroup& group, RowScore row_score) {
  torch::NoGradGuard no_grad;
  torch::Tensor total = torch::zeros({group.channels});
  for (int p : group.producers) total += row_score(p).to(torch::kFloat).reshape({group.channels});
  return total;
}

class NormImportance : public Importance {
 public:
  explicit NormImportance(int p) : p_(p) {}
  std::string name() const override { return p_ == 1 ? "l1" : "l2"; }
  torch::Tensor weight_scores(GraphModule& model, int node) const override {
    torch::NoGradGuard no_grad;
    const torch::Tensor w = model->weight(node).detach();
    return p_ == 1 ? w.abs() : w.square();
  }
  torch::Tensor channel_scores(GraphModule& model, const ChannelGroup& group) const override {
    return sum_over_producers(model, group, [&](int p) {
      const torch::Tensor w = model->weight(p).detach();
      return p_ == 1 ? row_sum(w.abs()) : row_sum(w.square()).sqrt();
    });
  }
  torch::Tensor filterlet_scores(GraphModule& model, int node) const override {
    torch::NoGradGuard no_grad;
    const torch::Tensor w = model->weight(node).detach();
    TP_CHECK(w.dim() == 4, "importance \"", name(), "\": filterlet scores need a conv node");
    return p_ == 1 ? w.abs().sum(1) : w.square().sum(1).sqrt();
  }

 private:
  int p_;
};

class BnGammaImportance : public Importance {
 public:
  std::string name() const override { return "bn_gamma"; }
  torch::Tensor channel_scores(GraphModule& model, const ChannelGroup& group) const override {
    torch::NoGradGuard no_grad;
    torch::Tensor best;
    for (int m : group.members) {
      if (model->graph().node(m).kind != OpKind::kBatchNorm) continue;
      const torch::Tensor g = model->batch_norm(m)->weight.detach().abs();
      best = best.defined() ? torch::maximum(best, g) : g.clone();
    }
    return best.defined() ? best : torch::zeros({group.channels});
  }
};

class TaylorImportance : public Importance {
 public:
  std::string name() const override { return "taylor"; }
  void prepare(GraphModule& model, const Dataset& data, int64_t batches, int64_t batch_size) override {
    grads_ = average_gradients(model, data, batches, batch_size);
  }
  torch::Tensor weight_scores(GraphModule& model, int node) const override { return contribution(model, node).abs(); }
  torch::Tensor channel_scores(GraphModule& model, const ChannelGroup& group) const override {
    // |sum over the filter of w*g|: the first-order change of the loss when the filter is removed.
    return sum_over_producers(model, group, [&](int p) { return row_sum(contribution(model, p)).abs(); });
  }
  torch::Tensor filterlet_scores(GraphModule& model, int node) const override {
    const torch::Tensor t = contribution(model, node);
    TP_CHECK(t.dim() == 4, "importance \"taylor\": filterlet scores need a conv node");
    return t.abs().sum(1);
  }

 private:
  torch::Tensor contribution(GraphModule& model, int node) const {
    const std::string key = model->graph().node(node).name + ".weight";
    auto it = grads_.find(key);
    TP_CHECK(it != grads_.end(), "importance \"taylor\": no gradient for ", key,
             " (prepare() must run on this model first)");
    torch::NoGradGuard no_grad;
    return model->weight(node).detach() * it->second;
  }
  std::map<std::string, torch::Tensor> grads_;
};

class RandomImportance : public Importance {
 public:
  explicit RandomImportance(uint64_t seed) : seed_(seed) {}
  std::string name() const override { return "random"; }
  torch::Tensor weight_scores(GraphModule& model, int node) const override {
    return draw(model->weight(node).sizes(), node);
  }
  torch::Tensor channel_scores(GraphModule&, const ChannelGroup& group) const override {
    return draw({group.channels}, group.id);
  }
  torch::Tensor filterlet_scores(GraphModule& model, int node) const override {
    const auto s = model->weight(node).sizes();
    return draw({s[0], s[2], s[3]}, node);
  }

 private:
  // Seeded per unit set so scores do not depend on call order or on LibTorch's global RNG.
  torch::Tensor draw(c10::IntArrayRef sizes, int salt) const {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed_ * 1000003ULL + static_cast<uint64_t>(salt));
    return torch::rand(sizes, gen);
  }
  uint64_t seed_;
};

}  // namespace

torch::Tensor Importance::weight_scores(GraphModule&, int) const { unsupported("per-weight"); }
torch::Tensor Importance::channel_scores(GraphModule&, const ChannelGroup&) const { unsupported("per-channel"); }
torch::Tensor Importance::filterlet_scores(GraphModule&, int) const { unsupported("per-filterlet"); }

void Importance::unsupported(const char* granularity) const {
  throw Error(str_cat("importance \"", name(), "\" gives no ", granularity, " scores"));
}

std::vector<std::string> importance_names() { return {"bn_gamma", "l1", "l2", "random", "taylor"}; }

std::unique_ptr<Importance> make_importance(const std::string& name, uint64_t seed) {
  if (name == "l1") return std::make_unique<NormImportance>(1);
  if (name == "l2") return std::make_unique<NormImportance>(2);
  if (name == "bn_gamma") return std::make_unique<BnGammaImportance>();
  if (name == "taylor") return std::make_unique<TaylorImportance>();
  if (name == "random") return std::make_unique<RandomImportance>(seed);
  std::string known;
  for (const auto& n : importance_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error(str_cat("unknown importance \"", name, "\"; known: ", known));
}

torch::Tensor keep_top_k(const torch::Tensor& scores, int64_t k) {
  const torch::Tensor flat = scores.detach().reshape({-1}).to(torch::kFloat);
  TP_CHECK(k >= 0 && k <= flat.numel(), "keep_top_k: k=", k, " outside [0, ", flat.numel(), "]");
  // Stable ascending sort of -score: equal scores keep their index order, so lower indices win.
  const torch::Tensor order = std::get<1>(flat.neg().sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
  torch::Tensor keep = torch::zeros_like(flat);
  keep.index_fill_(0, order.slice(0, 0, k), 1.0);
  return keep.view(scores.sizes());
}

std::map<std::string, torch::Tensor> average_gradients(GraphModule& model, const Dataset& data, int64_t batches,
                                                       int64_t batch_size) {
  TP_CHECK(batch_size >= 1, "average_gradients: batch_size must be >= 1, got ", batch_size);
  const bool was_training = model->is_training();
  model->eval();  // running statistics stay untouched; the scores see the deployed BN
  for (auto& p : model->parameters())
    if (p.grad().defined()) p.mutable_grad().zero_();
  const int64_t n_total = data.size();
  const int64_t n_batches = (n_total + batch_size - 1) / batch_size;
  const int64_t use = batches > 0 ? std::min(batches, n_batches) : n_batches;
  int64_t seen = 0;
  for (int64_t b = 0; b < use; ++b) {
    std::vector<int64_t> idx;
    for (int64_t i = b * batch_size; i < std::min(n_total, (b + 1) * batch_size); ++i) idx.push_back(i);
    const Batch batch = data.get_unaugmented_batch(idx);
    // Summed loss so the gradient is the mean over every example, whatever the batch sizes.
    torch::Tensor loss = torch::nn::functional::cross_entropy(
        model->forward(batch.images), batch.labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    loss.backward();
    seen += batch.size();
  }
  std::map<std::string, torch::Tensor> out;
  for (auto& kv : model->named_parameters()) {
    torch::Tensor& g = kv.value().mutable_grad();
    if (!g.defined()) continue;
    out[kv.key()] = g.detach().clone() / static_cast<double>(std::max<int64_t>(1, seen));
    g.zero_();
  }
  model->train(was_training);
  return out;
}

}  // namespace tinyprune
