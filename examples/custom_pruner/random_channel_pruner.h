// A user-written pruner: removes a random `ratio` of the channels of every prunable channel group
// at one step, then lets training fine-tune. Everything it needs comes from the installed
// TinyPrune headers; nothing in TinyPrune knows about it until main() registers it.
#pragma once

#include <torch/torch.h>

#include <cmath>

#include "core/config_node.h"
#include "pruners/pruner.h"
#include "pruners/registry.h"

namespace example {

class RandomChannelPruner : public tinyprune::Pruner {
 public:
  RandomChannelPruner(double ratio, int64_t at_step) : Pruner("random_channel"), ratio_(ratio), at_step_(at_step) {}

  // The target: every prunable group is down to round((1 - ratio) * C) channels (at least 1).
  bool target_met() const override {
    if (!pruned_) return false;
    const auto kept = masks().kept_widths();
    for (const tinyprune::ChannelGroup& g : groups().groups())
      if (g.prunable && kept[static_cast<size_t>(g.id)] > keep_count(g.channels)) return false;
    return true;
  }

  tinyprune::Json summary() const override {
    tinyprune::Json j = tinyprune::Json::object();
    j["ratio"] = ratio_;
    j["at_step"] = at_step_;
    return j;
  }

 protected:
  // Called by the base class before every step's forward pass; masks stay applied by the base.
  void step_begin(tinyprune::TrainContext& ctx) override {
    if (pruned_ || ctx.step < at_step_) return;
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(ctx.seed);
    for (const tinyprune::ChannelGroup& g : groups().groups()) {
      if (!g.prunable) continue;  // input / logits groups keep their width
      const torch::Tensor order = torch::randperm(g.channels, gen);
      torch::Tensor keep = torch::zeros({g.channels});
      keep.index_fill_(0, order.slice(0, 0, keep_count(g.channels)), 1.0);
      masks().set_channel_mask(g.id, keep);  // residual groups: one mask for all members
    }
    pruned_ = true;
    commit(ctx);  // applies the masks, logs and records sparsity + resources
  }

  // Checkpoints: the base saves the masks; we add our flag so a resumed run does not prune twice.
  void save_extra(torch::serialize::OutputArchive& ar) const override {
    ar.write("pruned", torch::tensor(static_cast<int64_t>(pruned_)));
  }
  void load_extra(torch::serialize::InputArchive& ar) override {
    torch::Tensor t;
    if (ar.try_read("pruned", t)) pruned_ = t.item<int64_t>() != 0;
  }

 private:
  int64_t keep_count(int64_t channels) const {
    return std::max<int64_t>(1, std::llround((1.0 - ratio_) * static_cast<double>(channels)));
  }
  double ratio_;
  int64_t at_step_;
  bool pruned_ = false;
};

// Registers `prune: {method: random_channel, ratio: 0.5, at_step: 0}`. Options are read through
// ConfigNode, so a bad value is reported with file:line like every other key.
inline void register_random_channel_pruner(tinyprune::PrunerRegistry& registry) {
  registry.add(
      "random_channel", "random channel pruning (examples/custom_pruner)",
      [](tinyprune::ConfigNode& cfg) {
        const double ratio = cfg.get_double("ratio", 0.5, 0.0, 1.0, /*min_open=*/false, /*max_open=*/true);
        const int64_t at_step = cfg.get_int("at_step", 0, 0);
        return std::make_unique<RandomChannelPruner>(ratio, at_step);
      },
      "{method: random_channel, ratio: 0.5, at_step: 2}");
}

}  // namespace example
