#include "core/experiment.h"

#include "core/config_node.h"

namespace tinyprune {

ExperimentConfig ExperimentConfig::load(const std::string& path, const std::vector<std::string>& overrides) {
  ConfigNode root = ConfigNode::load_file(path, overrides);
  ExperimentConfig c;
  c.source = path;
  c.name = root.get_string("name", c.name);
  if (c.name.empty() || c.name.find('/') != std::string::npos)
    throw root.error("name", "expected a non-empty run name without '/'");
  c.seed = static_cast<uint64_t>(root.get_int("seed", 0, 0));
  c.threads = root.get_int("threads", c.threads, 0, 256);
  c.output_dir = root.get_string("output_dir", c.output_dir);
  ConfigNode data = root.child("data");
  c.data = DataOptions::from_yaml(data);
  ConfigNode model = root.child("model");
  c.model = ModelSpec::from_yaml(model, TensorShape{0, 0, 0}, 0);
  ConfigNode train = root.child("train");
  c.train = TrainOptions::from_yaml(train);
  c.prune = root.raw("prune");
  c.export_section = root.raw("export");
  if (c.prune && !(c.prune.IsMap() && c.prune.size() == 0))
    throw root.error("prune", "no pruning method is available in this build yet (the pruning issues add them)");
  if (c.export_section && !(c.export_section.IsMap() && c.export_section.size() == 0))
    throw root.error("export", "export is not available in this build yet");
  root.finish();
  c.resolved = root.resolved();
  return c;
}

}  // namespace tinyprune
