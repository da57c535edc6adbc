#include "pruners/l1_filter_pruner.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "core/config_node.h"
#include "core/error.h"
#include "datasets/registry.h"

namespace tinyprune {

L1FilterPrunerOptions L1FilterPrunerOptions::from_yaml(ConfigNode& node) {
  L1FilterPrunerOptions o;
  o.target = ChannelTarget::from_yaml(node);
  o.importance = node.get_choice("importance", o.importance, {"l1", "l2", "bn_gamma", "taylor", "random"});
  o.timing = PruneTiming::from_yaml(node);
  o.importance_batches = node.get_int("importance_batches", o.importance_batches, 0);
  return o;
}

L1FilterPruner::L1FilterPruner(L1FilterPrunerOptions options) : Pruner("l1_filter"), options_(std::move(options)) {}

void L1FilterPruner::step_begin(TrainContext& ctx) {
  if (pruned_ || ctx.step < options_.timing.prune_step(ctx.steps_per_epoch, ctx.total_steps)) return;
  pruned_ = true;
  const std::vector<int64_t> widths = options_.target.widths(resources());
  auto importance = make_importance(options_.importance, ctx.seed);
  if (ctx.data) {
    // Gradient-based scores read the validation split (the training split when there is none).
    const auto& data = ctx.data->val ? ctx.data->val : ctx.data->train;
    importance->prepare(ctx.model, *data, options_.importance_batches, 64);
  }
  for (const ChannelGroup& g : groups().groups()) {
    const int64_t keep = widths[static_cast<size_t>(g.id)];
    if (!g.prunable || keep >= g.channels) continue;
    masks().set_channel_mask(g.id, keep_top_k(importance->channel_scores(ctx.model, g), keep));
  }
  commit(ctx);
}

bool L1FilterPruner::target_met() const {
  return started() && pruned_ && options_.target.met(resources(), masks().kept_widths());
}

Json L1FilterPruner::summary() const {
  Json j = options_.target.to_json(resources(), masks().kept_widths());
  j["importance"] = options_.importance;
  return j;
}

void L1FilterPruner::save_extra(torch::serialize::OutputArchive& archive) const {
  archive.write("pruned", torch::tensor(static_cast<int64_t>(pruned_)));
}

void L1FilterPruner::load_extra(torch::serialize::InputArchive& archive) {
  torch::Tensor t;
  if (archive.try_read("pruned", t)) pruned_ = t.item<int64_t>() != 0;
}

}  // namespace tinyprune
