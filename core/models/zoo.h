// The model zoo: a registry of Graph builders keyed by the YAML `model.name`.
//
// Built-in models (all CIFAR-style, any input channels / size, any class count, width multiplier):
//   vgg11, vgg16, vgg11_dtmm, resnet12, resnet18, resnet20, resnet56, mobilenetv2
// (definitions and reference parameter counts in core/models/builders.h).
//
// Usage (a user's own architecture, registered the same way the built-ins are):
//   ModelRegistry& r = ModelRegistry::global();
//   r.add("tiny_cnn", [](const ModelSpec& s) {
//     Graph g;
//     int x = g.input(s.in_channels, s.height, s.width_px);
//     x = g.relu(g.batch_norm(g.conv2d(x, scaled_channels(16, s.width), 3, 1, 1), "bn0"), "relu0");
//     g.linear(g.flatten(g.global_avg_pool(x)), s.num_classes, /*bias=*/true, "classifier");
//     return g;
//   }, "two-layer test CNN");
//   Graph g = build_model(spec);  // spec.name == "tiny_cnn"
//
// Conventions every built-in follows (and user builders should): node names are readable, stable
// and unique ([A-Za-z0-9_]); the final Linear is named "classifier"; a "dropout" node precedes it
// when spec.dropout > 0; the graph output is the classifier, shape (num_classes, 1, 1).
//
// Thread-safety: add() must not race with anything else; build()/names()/description() may be
// called concurrently once registration is over.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/models/model_spec.h"

namespace tinyprune {

using ModelBuilder = std::function<Graph(const ModelSpec&)>;

class ModelRegistry {
 public:
  // Registers `builder` under `name` (non-empty, [A-Za-z0-9_]). Throws Error on a duplicate or
  // invalid name or an empty builder.
  void add(std::string name, ModelBuilder builder, std::string description);

  // Validates `spec` (GraphError: in_channels, height, width_px, num_classes >= 1,
  // 0 < width <= 4, 0 <= dropout < 1), runs the builder and checks its result (GraphError unless
  // the input node has spec's input shape and the output is (num_classes, 1, 1)).
  // An unregistered spec.name throws ConfigError naming the nearest registered name and listing
  // all of them. Shape errors inside the builder surface as GraphError naming the node.
  Graph build(const ModelSpec& spec) const;

  bool contains(const std::string& name) const;
  // Registered names, sorted.
  std::vector<std::string> names() const;
  // One-line description given to add(); ConfigError (as build()) for an unknown name.
  std::string description(const std::string& name) const;

  // The process-wide registry, populated with the built-ins (register_builtin_models) on first
  // use. Users add their own models to it.
  static ModelRegistry& global();

 private:
  struct Entry {
    ModelBuilder builder;
    std::string description;
  };
  const Entry& entry(const std::string& name) const;

  std::map<std::string, Entry> entries_;
};

// Adds the built-in models listed above to `registry`.
void register_builtin_models(ModelRegistry& registry);

// ModelRegistry::global().build(spec).
Graph build_model(const ModelSpec& spec);

}  // namespace tinyprune
