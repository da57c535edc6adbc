// custom_pruner CONFIG [--set key=value ...]: runs a TinyPrune experiment with the pruners built
// into the library plus our own `random_channel` method, and prints the pruning summary.
#include <iostream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/experiment.h"
#include "core/run.h"
#include "pruners/registry.h"

#include "random_channel_pruner.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: custom_pruner CONFIG [--set key=value ...]\n";
    return 2;
  }
  std::vector<std::string> overrides;
  for (int i = 2; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--set") overrides.emplace_back(argv[i + 1]);
  try {
    // Explicit registration, exactly as the built-ins do it.
    tinyprune::PrunerRegistry& registry = tinyprune::PrunerRegistry::global();
    tinyprune::register_builtin_pruners(registry);
    example::register_random_channel_pruner(registry);
    tinyprune::install_pruning(registry);  // `prune:` sections are validated and run

    const auto config = tinyprune::ExperimentConfig::load(argv[1], overrides);
    tinyprune::RunOptions options;
    options.show_progress = false;
    const tinyprune::RunResult r = tinyprune::run_experiment(config, options);
    const tinyprune::Json* prune = r.summary.find("prune");
    if (!prune) {
      std::cerr << "no prune section in the summary\n";
      return 1;
    }
    std::cout << prune->dump(2) << "\n";
    const tinyprune::Json* met = prune->find("target_met");
    return met && met->dump() == "true" ? 0 : 1;
  } catch (const tinyprune::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
