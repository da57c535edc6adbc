// Named spdlog loggers, one per subsystem: "train", "prune", "data", "export", "resources", "cli".
//
// Library code logs through these and never changes levels or patterns; the command sets the level
// once (`--log-level`). `info` = one key=value line per event, `debug` = per layer, per-batch
// `trace` goes through SPDLOG_LOGGER_TRACE so release builds can compile it out.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace tinyprune {

// Returns the logger `name`, creating it (stderr, shared sink and level) on first use. Thread-safe.
std::shared_ptr<spdlog::logger> get_logger(const std::string& name);

// Sets the level of every TinyPrune logger, existing and future. Accepts spdlog's names
// ("trace", "debug", "info", "warn", "error", "critical", "off"); throws ConfigError otherwise.
void set_log_level(const std::string& level);

}  // namespace tinyprune
