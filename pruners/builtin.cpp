// The built-in methods, registered explicitly (see registry.h for why not by static objects).
#include "pruners/baseline_pruners.h"
#include "pruners/differentiable_pruner.h"
#include "pruners/filterlet_pruner.h"
#include "pruners/imp_pruner.h"
#include "pruners/registry.h"

namespace tinyprune {

void register_builtin_pruners(PrunerRegistry& registry) {
  if (registry.contains("magnitude")) return;  // idempotent
  register_baseline_pruners(registry);
  register_filterlet_pruner(registry);
  register_differentiable_pruner(registry);
  register_imp_pruner(registry);
}

}  // namespace tinyprune
