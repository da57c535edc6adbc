#include "pruners/registry.h"

#include "core/error.h"
#include "core/experiment.h"

namespace tinyprune {

PrunerRegistry& PrunerRegistry::global() {
  static PrunerRegistry registry;
  return registry;
}

void PrunerRegistry::add(const std::string& name, const std::string& description, PrunerFactory factory,
                         const std::string& example) {
  TP_CHECK(!name.empty(), "pruner registry: empty method name");
  TP_CHECK(factory != nullptr, "pruner registry: no factory for \"", name, "\"");
  TP_CHECK(!entries_.count(name), "pruner registry: \"", name, "\" is already registered");
  entries_[name] = Entry{description, std::move(factory), example};
}

bool PrunerRegistry::contains(const std::string& name) const { return entries_.count(name) > 0; }

std::vector<std::string> PrunerRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& kv : entries_) out.push_back(kv.first);
  return out;
}

const std::string& PrunerRegistry::description(const std::string& name) const {
  auto it = entries_.find(name);
  TP_CHECK(it != entries_.end(), "pruner registry: unknown method \"", name, "\"");
  return it->second.description;
}

const std::string& PrunerRegistry::example(const std::string& name) const {
  auto it = entries_.find(name);
  TP_CHECK(it != entries_.end(), "pruner registry: unknown method \"", name, "\"");
  return it->second.example;
}

std::unique_ptr<Pruner> PrunerRegistry::create(ConfigNode& section) const {
  if (!section.has("method")) throw section.error("method", "missing key 'method' (the pruning method)");
  // get_choice lists the known names and suggests the nearest one.
  const std::string method = section.get_choice("method", "", names());
  std::unique_ptr<Pruner> p = entries_.at(method).factory(section);
  TP_CHECK(p != nullptr, "pruner factory for \"", method, "\" returned no pruner");
  return p;
}

std::unique_ptr<Pruner> PrunerRegistry::create(const YAML::Node& section, const std::string& source) const {
  YAML::Node root;
  root["prune"] = section;
  ConfigNode cfg = ConfigNode::from_yaml(root, source);
  ConfigNode prune = cfg.child("prune");
  std::unique_ptr<Pruner> p = create(prune);
  cfg.finish();
  return p;
}

void install_prune_section_validator(PrunerRegistry& registry) {
  register_section_validator("prune", [&registry](ConfigNode& section) { registry.create(section); });
}

}  // namespace tinyprune
