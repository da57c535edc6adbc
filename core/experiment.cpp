#include "core/experiment.h"

#include <filesystem>

#include "core/config_node.h"

#include <map>

namespace tinyprune {
namespace {
std::map<std::string, SectionValidator>& validators() {
  static std::map<std::string, SectionValidator> v;
  return v;
}
}  // namespace

void register_section_validator(const std::string& section, SectionValidator validator) {
  validators()[section] = std::move(validator);
}

ExperimentConfig ExperimentConfig::load(const std::string& path, const std::vector<std::string>& overrides) {
  return load_impl(path, overrides, /*validate_prune=*/true);
}

ExperimentConfig ExperimentConfig::load_run(const std::string& path) {
  return load_impl(path, {}, /*validate_prune=*/false);
}

ExperimentConfig ExperimentConfig::load_impl(const std::string& path, const std::vector<std::string>& overrides,
                                             bool validate_prune) {
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
  c.init_from = model.get_string("init_from", "");
  if (!c.init_from.empty()) {
    // A run directory stands for its final model.
    if (std::filesystem::is_directory(c.init_from)) c.init_from += "/model.pt";
    if (!std::filesystem::is_regular_file(c.init_from))
      throw model.error("init_from", str_cat("expected a model file (model.pt) or a run directory holding one; ",
                                             "no such file: ", c.init_from));
  }
  ConfigNode train = root.child("train");
  c.train = TrainOptions::from_yaml(train);
  for (const std::string section : {"prune", "export"}) {
    const bool present = root.has(section) && !(root.node()[section].IsMap() && root.node()[section].size() == 0);
    const auto it = validators().find(section);
    if (!present) {
      root.declare({section});
      continue;
    }
    if (section == "prune" && !validate_prune) {
      root.raw(section);  // kept as written, subtree and all
      continue;
    }
    if (it == validators().end())
      throw root.error(section, str_cat("the '", section, "' section is not available in this build"));
    ConfigNode child = root.child(section);
    it->second(child);
  }
  if (root.has("prune")) c.prune = YAML::Clone(root.node()["prune"]);
  if (root.has("export")) c.export_section = YAML::Clone(root.node()["export"]);
  root.finish();
  c.resolved = root.resolved();
  return c;
}

}  // namespace tinyprune
