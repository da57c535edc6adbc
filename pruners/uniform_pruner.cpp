#include "pruners/uniform_pruner.h"

#include <torch/torch.h>

namespace tinyprune {

UniformPruner::UniformPruner(ChannelTarget target) : Pruner("uniform"), target_(std::move(target)) {}

void UniformPruner::train_begin(TrainContext& ctx) {
  const std::vector<int64_t> widths = target_.widths(resources());
  bool any = false;
  for (const ChannelGroup& g : groups().groups()) {
    const int64_t keep = widths[static_cast<size_t>(g.id)];
    if (!g.prunable || keep >= g.channels) continue;
    // The first `keep` channels: the same network as building the model narrower.
    torch::Tensor m = torch::zeros({g.channels});
    m.slice(0, 0, keep).fill_(1.0);
    masks().set_channel_mask(g.id, m);
    any = true;
  }
  if (any) commit(ctx);
}

bool UniformPruner::target_met() const { return started() && target_.met(resources(), masks().kept_widths()); }

Json UniformPruner::summary() const { return target_.to_json(resources(), masks().kept_widths()); }

}  // namespace tinyprune
