// Registration of the baseline methods: magnitude, l1_filter, uniform.
#pragma once

namespace tinyprune {

class PrunerRegistry;
void register_baseline_pruners(PrunerRegistry& registry);

}  // namespace tinyprune
