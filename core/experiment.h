// ExperimentConfig: a whole YAML experiment file, parsed and validated in one go.
//
// Top-level keys: name, seed, threads, output_dir, data, model, train, prune, export.
// Parsing reads every section through ConfigNode, so unknown keys, wrong types and out-of-range
// values anywhere in the file are reported (file:line:col, key path, nearest valid key) before
// anything runs or is written.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/models/model_spec.h"
#include "core/train/train_options.h"
#include "datasets/data_options.h"

namespace tinyprune {

struct ExperimentConfig {
  std::string source;           // the YAML file
  std::string name = "experiment";
  uint64_t seed = 0;
  int64_t threads = 0;          // LibTorch intra-op threads; 0 = all cores
  std::string output_dir = "runs";
  DataOptions data;
  ModelSpec model;              // input shape and class count are filled from the data set
  std::string init_from;        // model.init_from: start from these weights (a model.pt; "" = fresh init)
  TrainOptions train;
  YAML::Node prune;             // pruner section (validated by the pruner registry); may be null
  YAML::Node export_section;    // exporter section; may be null
  YAML::Node resolved;          // every key with its effective value (written to the run dir)

  // Throws ConfigError (exit status 2) for any problem in the file or the overrides.
  static ExperimentConfig load(const std::string& path, const std::vector<std::string>& overrides = {});
  // The config.yaml of an existing run directory (export, eval): as load(), except that the
  // `prune` section is kept unvalidated. It was checked when the run started, and the method may
  // be a user's pruner that this program has not registered.
  static ExperimentConfig load_run(const std::string& path);

 private:
  static ExperimentConfig load_impl(const std::string& path, const std::vector<std::string>& overrides,
                                    bool validate_prune);
};

// Validators of the sections owned by higher layers ("prune" by the pruner registry, "export" by
// the exporter). core/ cannot depend on them, so they register here (explicitly, from the command
// or a user's program) and ExperimentConfig::load runs them on the section, so its keys are
// checked with file:line like the rest. A non-empty section without a registered validator is
// an error ("not available in this build").
using SectionValidator = std::function<void(class ConfigNode& section)>;
void register_section_validator(const std::string& section, SectionValidator validator);

}  // namespace tinyprune
