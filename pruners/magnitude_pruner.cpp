#include "pruners/magnitude_pruner.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/config_node.h"
#include "core/error.h"

namespace tinyprune {
namespace {

// Mask with the k smallest scores (ties: lower position first) set to 0.
torch::Tensor keep_all_but_smallest(const torch::Tensor& scores, int64_t k) {
  const torch::Tensor flat = scores.reshape({-1});
  torch::Tensor keep = torch::ones_like(flat);
  if (k > 0) {
    const torch::Tensor order = std::get<1>(flat.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
    keep.index_fill_(0, order.slice(0, 0, k), 0.0);
  }
  return keep.view(scores.sizes());
}

}  // namespace

MagnitudePrunerOptions MagnitudePrunerOptions::from_yaml(ConfigNode& node) {
  MagnitudePrunerOptions o;
  o.sparsity = node.get_double("sparsity", o.sparsity, 0.0, 1.0, false, /*max_open=*/true);
  o.scope = node.get_choice("scope", o.scope, {"global", "layer"});
  o.exclude = node.get_string_list("exclude", o.exclude);
  ConfigNode sched = node.child("schedule");
  o.schedule.kind = "cubic";
  ScheduleOptions parsed = ScheduleOptions::from_yaml(sched);
  if (!sched.has("kind")) parsed.kind = "cubic";
  o.schedule = parsed;
  return o;
}

MagnitudePruner::MagnitudePruner(MagnitudePrunerOptions options)
    : Pruner("magnitude"), options_(std::move(options)) {}

void MagnitudePruner::train_begin(TrainContext& ctx) {
  const Graph& g = ctx.model->graph();
  for (const std::string& name : options_.exclude)
    TP_CHECK(g.find(name) >= 0, "prune.exclude: no node named \"", name, "\" in model ", g.size(), " nodes");
  prunable_.clear();
  for (int id = 0; id < g.size(); ++id) {
    const Node& n = g.node(id);
    if ((n.kind == OpKind::kConv2d || n.kind == OpKind::kLinear) &&
        std::find(options_.exclude.begin(), options_.exclude.end(), n.name) == options_.exclude.end())
      prunable_.push_back(id);
  }
  schedule_ = options_.schedule.to_schedule(options_.sparsity, ctx.steps_per_epoch, ctx.total_steps);
}

void MagnitudePruner::step_begin(TrainContext& ctx) {
  if (ctx.step <= last_event_ || !schedule_.is_event(ctx.step)) return;
  last_event_ = ctx.step;
  const double s = schedule_.at(ctx.step);
  if (s <= 0.0) return;  // nothing to prune yet: keep "accuracy before" for the first real cut
  prune_to(ctx.model, s);
  commit(ctx);
}

void MagnitudePruner::prune_to(GraphModule& model, double sparsity) {
  torch::NoGradGuard no_grad;
  if (options_.scope == "layer") {
    for (int id : prunable_) {
      const torch::Tensor w = model->weight(id).detach();
      const auto k = static_cast<int64_t>(std::llround(sparsity * static_cast<double>(w.numel())));
      masks().set_weight_mask(id, keep_all_but_smallest(w.abs() * masks().counting_mask(id), k));
    }
  } else {
    std::vector<torch::Tensor> parts;
    for (int id : prunable_) parts.push_back((model->weight(id).detach().abs() * masks().counting_mask(id)).reshape({-1}));
    const torch::Tensor all = torch::cat(parts);
    const auto k = static_cast<int64_t>(std::llround(sparsity * static_cast<double>(all.numel())));
    const torch::Tensor keep = keep_all_but_smallest(all, k);
    int64_t offset = 0;
    for (int id : prunable_) {
      const torch::Tensor w = model->weight(id);
      masks().set_weight_mask(id, keep.slice(0, offset, offset + w.numel()).view(w.sizes()));
      offset += w.numel();
    }
  }
  reached_ = sparsity;
}

bool MagnitudePruner::target_met() const {
  if (!started()) return false;
  // Measured on the masks: zeros among the prunable weights.
  int64_t total = 0, zeros = 0;
  for (int id : prunable_) {
    const torch::Tensor m = masks().counting_mask(id);
    total += m.numel();
    zeros += m.numel() - m.count_nonzero().item<int64_t>();
  }
  // Per-layer rounding may leave up to half a weight per layer short of the exact fraction.
  const double slack = static_cast<double>(prunable_.size()) / static_cast<double>(std::max<int64_t>(1, total));
  return total > 0 && static_cast<double>(zeros) / static_cast<double>(total) >= options_.sparsity - slack;
}

Json MagnitudePruner::summary() const {
  Json j = Json::object();
  j["target_sparsity"] = options_.sparsity;
  j["scope"] = options_.scope;
  j["schedule_events"] = static_cast<int64_t>(schedule_.events().size());
  return j;
}

void MagnitudePruner::save_extra(torch::serialize::OutputArchive& archive) const {
  archive.write("last_event", torch::tensor(last_event_, torch::kInt64));
}

void MagnitudePruner::load_extra(torch::serialize::InputArchive& archive) {
  torch::Tensor t;
  if (archive.try_read("last_event", t)) last_event_ = t.item<int64_t>();
}

}  // namespace tinyprune
