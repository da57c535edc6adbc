// A small argument parser for the tinyprune subcommands: positional arguments, `--flag`,
// `--opt VALUE` / `--opt=VALUE`, repeatable options. Unknown options are usage errors that
// suggest the nearest known one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tinyprune::cli {

// Thrown for usage errors; main prints it with the subcommand's usage line and exits 2.
struct UsageError {
  std::string message;
};

struct OptionSpec {
  std::string name;       // without dashes: "out"
  bool takes_value;
  bool repeatable = false;
};

class Args {
 public:
  Args(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs);
  const std::vector<std::string>& positional() const { return positional_; }
  bool flag(const std::string& name) const;
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::vector<std::string>> values_;
};

}  // namespace tinyprune::cli
