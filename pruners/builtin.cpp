// The built-in methods, registered explicitly (see registry.h for why not by static objects).
#include "pruners/baseline_pruners.h"
#include "pruners/registry.h"

namespace tinyprune {

void register_builtin_pruners(PrunerRegistry& registry) {
  if (registry.contains("magnitude")) return;  // idempotent
  register_baseline_pruners(registry);
}

}  // namespace tinyprune
