#include "core/run_extension.h"

#include <utility>
#include <vector>

namespace tinyprune {
namespace {
std::vector<std::pair<std::string, RunExtensionFactory>>& factories() {
  static std::vector<std::pair<std::string, RunExtensionFactory>> f;
  return f;
}
}  // namespace

void register_run_extension(const std::string& name, RunExtensionFactory factory) {
  for (auto& kv : factories())
    if (kv.first == name) {
      kv.second = std::move(factory);
      return;
    }
  factories().emplace_back(name, std::move(factory));
}

std::vector<std::unique_ptr<RunExtension>> make_run_extensions(const ExperimentConfig& config) {
  std::vector<std::unique_ptr<RunExtension>> out;
  for (auto& kv : factories())
    if (auto ext = kv.second(config)) out.push_back(std::move(ext));
  return out;
}

}  // namespace tinyprune
