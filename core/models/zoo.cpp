#include "core/models/zoo.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>

#include "core/config_node.h"
#include "core/error.h"
#include "core/models/builders.h"

namespace tinyprune {
namespace {

bool valid_model_name(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Rejects specs no builder can honour before any builder runs, so that every built-in can
// assume sane sizes and the message names the model rather than some inner node.
void validate_spec(const ModelSpec& s) {
  const std::string where = str_cat("model \"", s.name, "\": ");
  TP_CHECK_T(GraphError, s.in_channels >= 1 && s.height >= 1 && s.width_px >= 1, where, "input (C,H,W) = (",
             s.in_channels, ",", s.height, ",", s.width_px,
             ") is too small: every model needs C, H, W >= 1");
  TP_CHECK_T(GraphError, s.num_classes >= 1, where, "num_classes must be >= 1, got ", s.num_classes);
  TP_CHECK_T(GraphError, std::isfinite(s.width) && s.width > 0.0 && s.width <= 4.0, where,
             "width multiplier must be in (0, 4], got ", s.width);
  TP_CHECK_T(GraphError, s.dropout >= 0.0 && s.dropout < 1.0, where, "dropout must be in [0, 1), got ",
             s.dropout);
}

}  // namespace

void ModelRegistry::add(std::string name, ModelBuilder builder, std::string description) {
  TP_CHECK(valid_model_name(name), "model name \"", name, "\" is invalid: expected letters, digits and '_' only");
  TP_CHECK(static_cast<bool>(builder), "model \"", name, "\": builder is empty");
  TP_CHECK(entries_.count(name) == 0, "model \"", name, "\" is already registered");
  entries_.emplace(std::move(name), Entry{std::move(builder), std::move(description)});
}

const ModelRegistry::Entry& ModelRegistry::entry(const std::string& name) const {
  auto it = entries_.find(name);
  if (it != entries_.end()) return it->second;
  const std::vector<std::string> known = names();
  const std::string near = nearest(name, known);
  throw ConfigError(str_cat("unknown model \"", name, "\"", near.empty() ? "" : str_cat("; did you mean \"", near, "\"?"),
                            " known: ", join(known)));
}

Graph ModelRegistry::build(const ModelSpec& spec) const {
  const Entry& e = entry(spec.name);
  validate_spec(spec);
  Graph g = e.builder(spec);
  // Contract checks on the builder's result (mostly for user-registered builders).
  const std::string where = str_cat("model \"", spec.name, "\": ");
  TP_CHECK_T(GraphError, g.size() > 0, where, "builder returned an empty graph");
  TP_CHECK_T(GraphError, g.node(g.input_id()).shape == spec.input_shape(), where,
             "graph input does not have the requested shape (", spec.in_channels, ",", spec.height, ",",
             spec.width_px, ")");
  const TensorShape out = g.node(g.output()).shape;
  TP_CHECK_T(GraphError, out == (TensorShape{spec.num_classes, 1, 1}), where, "graph output is (", out.c, ",",
             out.h, ",", out.w, "), expected (", spec.num_classes, ",1,1)");
  return g;
}

bool ModelRegistry::contains(const std::string& name) const { return entries_.count(name) > 0; }

std::vector<std::string> ModelRegistry::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& kv : entries_) out.push_back(kv.first);  // std::map: already sorted
  return out;
}

std::string ModelRegistry::description(const std::string& name) const { return entry(name).description; }

ModelRegistry& ModelRegistry::global() {
  // Function-local static: populated explicitly on first use, no static-initialization order
  // dependence and nothing for the linker to drop.
  static ModelRegistry registry = [] {
    ModelRegistry r;
    register_builtin_models(r);
    return r;
  }();
  return registry;
}

void register_builtin_models(ModelRegistry& r) {
  r.add("vgg11", build_vgg11, "CIFAR VGG-11 (64,M,128,M,256x2,M,512x2,M,512x2,M), conv bias + BN, GAP, FC");
  r.add("vgg16", build_vgg16, "OpenLTH cifar_vgg_16 (13 convs, no 5th pool), conv bias + BN, GAP, FC");
  r.add("vgg11_dtmm", build_vgg11_dtmm, "DTMM VGG-11 (32..256, 10 convs, 4 pools), conv bias + BN, flatten, FC");
  r.add("resnet12", build_resnet12, "DTMM ResNet-12 (stem 32, 4 stages 32..256 x 1 block), conv bias, GAP, FC");
  r.add("resnet18", build_resnet18, "CIFAR ResNet-18 (3x3 stem, 4 stages 64..512 x 2 blocks), GAP, FC");
  r.add("resnet20", build_resnet20, "CIFAR ResNet-20 (He et al. / OpenLTH; 3 stages 16/32/64 x 3 blocks)");
  r.add("resnet56", build_resnet56, "CIFAR ResNet-56 (He et al. / OpenLTH; 3 stages 16/32/64 x 9 blocks)");
  r.add("mobilenetv2", build_mobilenetv2,
        "MobileNetV2 (torchvision layout; stride-1 stem and c=24 row when min(H,W) <= 64)");
}

Graph build_model(const ModelSpec& spec) { return ModelRegistry::global().build(spec); }

}  // namespace tinyprune
