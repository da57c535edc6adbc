#include "pruners/baseline_pruners.h"

#include "core/config_node.h"
#include "pruners/l1_filter_pruner.h"
#include "pruners/magnitude_pruner.h"
#include "pruners/registry.h"
#include "pruners/uniform_pruner.h"

namespace tinyprune {

void register_baseline_pruners(PrunerRegistry& r) {
  r.add("magnitude", "unstructured magnitude pruning, global or per layer, gradual schedule", [](ConfigNode& c) {
    return std::make_unique<MagnitudePruner>(MagnitudePrunerOptions::from_yaml(c));
  }, "{method: magnitude, sparsity: 0.6, schedule: {kind: cubic, begin_step: 2, end_step: 12, every: 2}}");
  r.add("l1_filter", "structured channel pruning by filter L1 norm to a ratio or a budget, then fine-tuning",
        [](ConfigNode& c) { return std::make_unique<L1FilterPruner>(L1FilterPrunerOptions::from_yaml(c)); },
        "{method: l1_filter, ratio: 0.5, prune_epoch: 0}");
  r.add("uniform", "uniform width scaling to a ratio or a budget (trains the narrower network)",
        [](ConfigNode& c) { return std::make_unique<UniformPruner>(ChannelTarget::from_yaml(c)); },
        "{method: uniform, ratio: 0.5}");
}

}  // namespace tinyprune
