#include "core/models/model_spec.h"

#include <algorithm>
#include <cmath>

#include "core/config_node.h"
#include "core/error.h"
#include "core/models/zoo.h"

namespace tinyprune {

ModelSpec ModelSpec::from_yaml(ConfigNode& model_section, TensorShape input, int64_t num_classes) {
  return from_yaml(model_section, input, num_classes, ModelRegistry::global());
}

ModelSpec ModelSpec::from_yaml(ConfigNode& model_section, TensorShape input, int64_t num_classes,
                               const ModelRegistry& registry) {
  ModelSpec spec;
  // require_string reports a missing key; get_choice then validates the value against the
  // registry (nearest-name suggestion plus the full list).
  model_section.require_string("name");
  spec.name = model_section.get_choice("name", "", registry.names());
  spec.width = model_section.get_double("width", 1.0, /*min=*/0.0, /*max=*/4.0, /*min_open=*/true);
  spec.dropout = model_section.get_double("dropout", 0.0, /*min=*/0.0, /*max=*/1.0, /*min_open=*/false,
                                          /*max_open=*/true);
  spec.in_channels = input.c;
  spec.height = input.h;
  spec.width_px = input.w;
  spec.num_classes = num_classes;
  return spec;
}

int64_t scaled_channels(int64_t channels, double width) {
  TP_CHECK_T(GraphError, width > 0.0 && std::isfinite(width), "width multiplier must be > 0, got ", width);
  return std::max<int64_t>(1, std::llround(static_cast<double>(channels) * width));
}

}  // namespace tinyprune
