#include "pruners/budget.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>

#include "core/config_node.h"
#include "core/error.h"

namespace tinyprune {
namespace {

struct Item {
  const char* key;        // YAML key
  const char* json_key;   // summary key
  const char* label;      // message label
  double scale;           // YAML unit -> bytes / MACs
  std::optional<double> Budget::*field;
  int64_t ResourceReport::*value;
};

const Item kItems[] = {
    {"model_size_kb", "model_size_bytes", "model_size", 1024.0, &Budget::model_size_bytes,
     &ResourceReport::model_size_bytes},
    {"peak_memory_kb", "peak_memory_bytes", "peak_memory", 1024.0, &Budget::peak_memory_bytes,
     &ResourceReport::peak_memory_bytes},
    {"macs", "macs", "macs", 1.0, &Budget::macs, &ResourceReport::macs},
};

std::string amount(const Item& it, double v) {
  return it.scale == 1.0 ? fmt::format("{:.4g}", v) : fmt::format("{:.1f} KB", v / it.scale);
}

}  // namespace

Budget Budget::from_yaml(ConfigNode& node) {
  Budget b;
  for (const Item& it : kItems)
    if (node.has(it.key))
      b.*(it.field) = node.get_double(it.key, 0.0, 0.0, std::numeric_limits<double>::infinity(), /*min_open=*/true) *
                      it.scale;
  return b;
}

bool Budget::met_by(const ResourceReport& r) const { return violations(r).empty(); }

std::string Budget::violations(const ResourceReport& r) const {
  std::string out;
  for (const Item& it : kItems) {
    const auto& limit = this->*(it.field);
    const double v = static_cast<double>(r.*(it.value));
    if (limit && v > *limit)
      out += fmt::format("{}{} {} > {}", out.empty() ? "" : ", ", it.label, amount(it, v), amount(it, *limit));
  }
  return out;
}

double Budget::worst_ratio(const ResourceReport& r) const {
  double worst = 0.0;
  for (const Item& it : kItems)
    if (const auto& limit = this->*(it.field)) worst = std::max(worst, static_cast<double>(r.*(it.value)) / *limit);
  return worst;
}

Json Budget::to_json(const ResourceReport& achieved) const {
  Json j = Json::object();
  for (const Item& it : kItems) {
    const auto& limit = this->*(it.field);
    if (!limit) continue;
    Json e = Json::object();
    e["budget"] = *limit;
    e["achieved"] = achieved.*(it.value);
    e["met"] = static_cast<double>(achieved.*(it.value)) <= *limit;
    j[it.json_key] = e;
  }
  return j;
}

}  // namespace tinyprune
