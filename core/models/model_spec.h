// ModelSpec: what the `model` section of an experiment file asks for, plus the input shape and the
// class count that the data section determines. A ModelBuilder (core/models/zoo.h) turns it into a
// Graph.
//
// YAML (section `model`):
//   model:
//     name: resnet20     # required; one of ModelRegistry::names()
//     width: 0.5         # width multiplier, 0 < width <= 4 (default 1.0)
//     dropout: 0.2       # dropout probability before the classifier, 0 <= p < 1 (default 0)
//
// Usage:
//   ConfigNode root = ConfigNode::load_file("exp.yaml");
//   ConfigNode model = root.child("model");
//   ModelSpec spec = ModelSpec::from_yaml(model, /*input=*/{3, 32, 32}, /*num_classes=*/10);
//   root.finish();
//   Graph g = build_model(spec);
//
// Width multiplier rule (every family except MobileNetV2): every hidden channel count c becomes
// scaled_channels(c, width) = max(1, round_half_away_from_zero(c * width)). The input channel
// count and the class count are never scaled. MobileNetV2 follows torchvision instead (see
// core/models/builders.h).
#pragma once

#include <cstdint>
#include <string>

#include "core/graph.h"

namespace tinyprune {

class ConfigNode;
class ModelRegistry;

struct ModelSpec {
  std::string name;         // registry key ("vgg16", "resnet20", ...)
  double width = 1.0;       // width multiplier, (0, 4]
  int64_t in_channels = 3;  // input tensor (C, H, W), per sample
  int64_t height = 32;
  int64_t width_px = 32;
  int64_t num_classes = 10;  // classifier outputs, >= 1
  double dropout = 0.0;      // [0, 1); a `dropout` node precedes the classifier when > 0

  // The input shape (in_channels, height, width_px).
  TensorShape input_shape() const { return {in_channels, height, width_px}; }
  // This spec with the input shape and class count of a data set (what `tinyprune run` builds).
  ModelSpec for_data(const TensorShape& input, int64_t classes) const {
    ModelSpec s = *this;
    s.in_channels = input.c;
    s.height = input.h;
    s.width_px = input.w;
    s.num_classes = classes;
    return s;
  }

  // Reads `name` (required; must be registered in `registry`, else a ConfigError that suggests
  // the nearest name and lists all of them), `width` and `dropout` from `model_section`; the input
  // shape and the class count come from the data section. Throws ConfigError located at the key.
  static ModelSpec from_yaml(ConfigNode& model_section, TensorShape input, int64_t num_classes);
  static ModelSpec from_yaml(ConfigNode& model_section, TensorShape input, int64_t num_classes,
                             const ModelRegistry& registry);
};

// The width-multiplied channel count: max(1, llround(channels * width)). Requires width > 0.
int64_t scaled_channels(int64_t channels, double width);

}  // namespace tinyprune
