// RunExtension: how higher layers (pruners/, export/) take part in run_experiment without core/
// depending on them — the same pattern as register_section_validator in experiment.h.
//
// For every registered extension whose factory returns one for the config, run_experiment calls
//   before_training  after the model is built, before fit(): add trainer callbacks;
//   after_training   after a completed fit(): may replace the final model (e.g. compaction) and
//                    add entries to the summary; the returned model is what model.pt stores.
// Registration is explicit: pruners/registry.h install_pruning() registers the "prune" extension.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/graph_module.h"
#include "core/json.h"

namespace tinyprune {

struct ExperimentConfig;
struct TrainResult;
class Trainer;

class RunExtension {
 public:
  virtual ~RunExtension() = default;
  virtual void before_training(Trainer& trainer) = 0;
  virtual GraphModule after_training(GraphModule final_model, const TrainResult& result, Json& summary,
                                     const std::string& run_dir) = 0;
};

// Returns nullptr when the config does not use the extension.
using RunExtensionFactory = std::function<std::unique_ptr<RunExtension>(const ExperimentConfig&)>;
// Replaces an extension registered under the same name.
void register_run_extension(const std::string& name, RunExtensionFactory factory);
// Every registered extension that applies to `config`, in registration order.
std::vector<std::unique_ptr<RunExtension>> make_run_extensions(const ExperimentConfig& config);

}  // namespace tinyprune
