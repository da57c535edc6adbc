#include "core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "core/error.h"

namespace tinyprune {
namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
spdlog::level::level_enum& current_level() {
  static spdlog::level::level_enum level = spdlog::level::info;
  return level;
}
spdlog::sink_ptr shared_sink() {
  // One stderr sink for all loggers so lines never interleave mid-line; stdout stays for results.
  static spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  return sink;
}

}  // namespace

std::shared_ptr<spdlog::logger> get_logger(const std::string& name) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, shared_sink());
  logger->set_level(current_level());
  logger->set_pattern("[%H:%M:%S] [%n] %^%l%$ %v");
  spdlog::register_logger(logger);
  return logger;
}

void set_log_level(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    throw ConfigError(str_cat("unknown log level \"", level,
                              "\"; expected one of trace, debug, info, warn, error, critical, off"));
  std::lock_guard<std::mutex> lock(registry_mutex());
  current_level() = parsed;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { l->set_level(parsed); });
}

}  // namespace tinyprune
