// Budget: microcontroller resource limits a pruner must meet, read from `prune.budget` and
// always measured by the ResourceModel (the same numbers `tinyprune analyze` prints).
//
//   budget: {model_size_kb: 64, peak_memory_kb: 48, macs: 10e6}
// model_size_kb: int8 flash bytes incl. bias and requantization parameters (ResourceReport::
// model_size_bytes) / 1024; peak_memory_kb: exact minimal peak SRAM over execution orders / 1024;
// macs: multiply-accumulates. Every key is optional; absent = unconstrained. 1 KB = 1024 bytes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/resources/resource_model.h"

namespace tinyprune {

class ConfigNode;

struct Budget {
  std::optional<double> model_size_bytes;
  std::optional<double> peak_memory_bytes;
  std::optional<double> macs;

  bool empty() const { return !model_size_bytes && !peak_memory_bytes && !macs; }
  // Reads `budget` (a map); each value must be > 0. Errors carry file:line.
  static Budget from_yaml(ConfigNode& node);

  // Is every constrained resource <= its limit?
  bool met_by(const ResourceReport& r) const;
  // "model_size 70.1 KB > 64 KB, peak_memory ..." for the resources over budget ("" when met).
  std::string violations(const ResourceReport& r) const;
  // max over constrained resources of value/limit (<= 1 when met; 0 when empty).
  double worst_ratio(const ResourceReport& r) const;
  // {"model_size_bytes": {"budget": b, "achieved": a, "met": true}, ...}
  Json to_json(const ResourceReport& achieved) const;
};

}  // namespace tinyprune
