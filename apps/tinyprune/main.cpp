// tinyprune: the command-line entry point. The only place that catches errors and prints them.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "apps/tinyprune/args.h"
#include "apps/tinyprune/commands.h"
#include "core/config_node.h"
#include "core/error.h"
#include "core/experiment.h"
#include "core/logging.h"
#include "export/export_options.h"
#include "pruners/registry.h"

namespace {

using tinyprune::cli::Command;

void print_main_help() {
  std::printf(
      "tinyprune %s - train, prune and export CNNs for microcontrollers\n\n"
      "Usage: tinyprune [--log-level LEVEL] <command> [options]\n\nCommands:\n",
      TINYPRUNE_VERSION);
  for (const Command& c : tinyprune::cli::commands()) std::printf("  %-10s %s\n", c.name, c.summary);
  std::printf(
      "\nGlobal options:\n"
      "  --log-level LEVEL  trace, debug, info (default), warn, error, off\n"
      "  --help, -h         show help (also: tinyprune <command> --help)\n"
      "  --version          print the version\n\n"
      "Exit status: 0 success, 1 runtime failure, 2 usage or config error, 130 interrupted.\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tinyprune;
  std::vector<std::string> args(argv + 1, argv + argc);
  // Sections of experiment files owned by layers above core/ (explicit registration).
  register_section_validator("export", [](ConfigNode& n) { ExportOptions::from_yaml(n); });
  register_builtin_pruners();
  install_pruning();
  // Global options may appear anywhere; take them out before dispatching.
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    try {
      if (a == "--log-level" || a.rfind("--log-level=", 0) == 0) {
        std::string level;
        if (a == "--log-level") {
          if (i + 1 >= args.size()) throw ConfigError("--log-level needs a value");
          level = args[++i];
        } else {
          level = a.substr(12);
        }
        set_log_level(level);
        continue;
      }
    } catch (const ConfigError& e) {
      std::fprintf(stderr, "tinyprune: %s\n", e.what());
      return cli::kExitUsage;
    }
    rest.push_back(a);
  }
  if (rest.empty() || rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help") {
    print_main_help();
    return rest.empty() ? cli::kExitUsage : cli::kExitOk;
  }
  if (rest[0] == "--version") {
    std::printf("tinyprune %s\n", TINYPRUNE_VERSION);
    return cli::kExitOk;
  }
  const Command* cmd = nullptr;
  std::vector<std::string> names;
  for (const Command& c : cli::commands()) {
    names.push_back(c.name);
    if (rest[0] == c.name) cmd = &c;
  }
  if (!cmd) {
    const std::string near = nearest(rest[0], names);
    std::fprintf(stderr, "tinyprune: unknown command \"%s\"%s\nRun 'tinyprune --help' for the list.\n", rest[0].c_str(),
                 near.empty() ? "" : ("; did you mean \"" + near + "\"?").c_str());
    return cli::kExitUsage;
  }
  std::vector<std::string> sub(rest.begin() + 1, rest.end());
  for (const auto& a : sub)
    if (a == "--help" || a == "-h") {
      std::printf("%s", cmd->usage);
      return cli::kExitOk;
    }
  try {
    return cmd->run(sub);
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "tinyprune %s: %s\n\n%s", cmd->name, e.message.c_str(), cmd->usage);
    return cli::kExitUsage;
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "tinyprune %s: config error: %s\n", cmd->name, e.what());
    return cli::kExitUsage;
  } catch (const Error& e) {
    get_logger("cli")->error("{}", e.what());
    return cli::kExitFailure;
  } catch (const c10::Error& e) {
    get_logger("cli")->error("LibTorch: {}", e.what_without_backtrace());
    return cli::kExitFailure;
  } catch (const std::exception& e) {
    get_logger("cli")->error("{}", e.what());
    return cli::kExitFailure;
  }
}
