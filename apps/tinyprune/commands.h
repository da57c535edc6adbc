// The tinyprune subcommands. Each returns the process exit status:
// 0 success, 1 runtime failure, 2 usage or config error, 130 interrupted (Ctrl-C).
#pragma once

#include <string>
#include <vector>

namespace tinyprune::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

struct Command {
  const char* name;
  const char* summary;
  const char* usage;  // full help text
  int (*run)(const std::vector<std::string>& args);
};

int run_command(const std::vector<std::string>& args);
int analyze_command(const std::vector<std::string>& args);
int export_command(const std::vector<std::string>& args);
int eval_command(const std::vector<std::string>& args);
int portfolio_command(const std::vector<std::string>& args);

const std::vector<Command>& commands();

}  // namespace tinyprune::cli
