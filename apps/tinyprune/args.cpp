#include "apps/tinyprune/args.h"

#include "core/config_node.h"

namespace tinyprune::cli {

Args::Args(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs) {
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back("--" + s.name);
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    bool has_inline = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline = true;
    }
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == name) spec = &s;
    if (!spec) {
      const std::string near = nearest("--" + name, names);
      throw UsageError{"unknown option --" + name + (near.empty() ? "" : "; did you mean " + near + "?")};
    }
    if (spec->takes_value && !has_inline) {
      if (i + 1 >= argv.size()) throw UsageError{"option --" + name + " needs a value"};
      value = argv[++i];
    } else if (!spec->takes_value && has_inline) {
      throw UsageError{"option --" + name + " takes no value"};
    }
    auto& slot = values_[name];
    if (!spec->repeatable && !slot.empty()) throw UsageError{"option --" + name + " given twice"};
    slot.push_back(value);
  }
}

bool Args::flag(const std::string& name) const { return values_.count(name) > 0; }

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace tinyprune::cli
