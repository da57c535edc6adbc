// PrunerRegistry: YAML name (prune.method) -> factory. Registration is explicit (static
// libraries drop self-registering objects): the built-ins via register_builtin_pruners(), a
// user's pruner by calling add() before the experiment is loaded.
//
// A factory reads its options from the `prune` section through ConfigNode, so a wrong type, an
// out-of-range value or an unknown key is reported with file:line like the rest of the config.
// Factories are also called once at config load to validate (the pruner is discarded), so they
// must be cheap and must not touch a model.
//
// Usage:
//   PrunerRegistry::global().add("random_channel", "random channel pruning (example)",
//       [](ConfigNode& cfg) {
//         double ratio = cfg.get_double("ratio", 0.5, 0.0, 1.0, false, true);
//         return std::make_unique<RandomChannelPruner>(ratio);
//       });
//   install_pruning();   // ExperimentConfig::load checks `prune:`; run_experiment runs the pruner
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config_node.h"
#include "pruners/pruner.h"

namespace tinyprune {

using PrunerFactory = std::function<std::unique_ptr<Pruner>(ConfigNode& section)>;

class PrunerRegistry {
 public:
  // The process-wide registry the command and run_experiment use.
  static PrunerRegistry& global();

  // Throws Error on a duplicate or empty name. `example`: a `prune` section (YAML flow map) that
  // runs on any small model within a few dozen steps; the contract test suite runs every
  // registered method with it, and `tinyprune run --help` could show it.
  void add(const std::string& name, const std::string& description, PrunerFactory factory,
           const std::string& example = "");
  bool contains(const std::string& name) const;
  std::vector<std::string> names() const;  // sorted
  const std::string& description(const std::string& name) const;
  const std::string& example(const std::string& name) const;

  // Reads `method` and builds the pruner; an unknown method is a ConfigError at prune.method that
  // lists the known ones. The section's other keys belong to the factory.
  std::unique_ptr<Pruner> create(ConfigNode& section) const;
  // The same from a parsed `prune` section (ExperimentConfig::prune); `source` names the file.
  std::unique_ptr<Pruner> create(const YAML::Node& section, const std::string& source) const;

 private:
  struct Entry {
    std::string description;
    PrunerFactory factory;
    std::string example;
  };
  std::map<std::string, Entry> entries_;
};

// magnitude, l1_filter, uniform, and the other built-in methods. Idempotent.
void register_builtin_pruners(PrunerRegistry& registry = PrunerRegistry::global());

// Registers the "prune" section validator with ExperimentConfig (core/experiment.h) so configs
// are checked at load time against `registry`. Idempotent.
void install_prune_section_validator(PrunerRegistry& registry = PrunerRegistry::global());

// install_prune_section_validator plus the "prune" run extension (core/run_extension.h): with a
// `prune` section, run_experiment attaches the pruner, compacts the pruned model after training
// (model.pt stores the compacted model) and adds summary.json's "prune" object: method,
// target_met, accuracy_before/after, sparsity (overall, per layer), resources_before/after,
// compaction_max_abs_diff, plus the method's own entries. Idempotent.
void install_pruning(PrunerRegistry& registry = PrunerRegistry::global());

}  // namespace tinyprune
