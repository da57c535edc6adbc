#include "datasets/data_options.h"

#include <limits>

#include "core/config_node.h"
#include "core/error.h"
#include "datasets/registry.h"

namespace tinyprune {

namespace {

// Upper bound of synthetic_phase_jitter (a uniform phase); a little slack so "3.1416" is accepted.
constexpr double kPi = 3.14159265358979323846 + 1e-4;

// ConfigNode has no list-of-numbers reader; take the raw subtree and check it here, reporting
// through node.error() so messages keep file:line.
std::vector<double> get_double_list(ConfigNode& node, const std::string& key, double min, bool min_open) {
  YAML::Node v = node.raw(key);
  if (!v) return {};
  std::vector<YAML::Node> items;
  if (v.IsScalar()) {
    items.push_back(v);
  } else if (v.IsSequence()) {
    for (const auto& item : v) items.push_back(item);
  } else {
    throw node.error(key, "expected a number or a list of numbers, got a map");
  }
  if (items.empty()) throw node.error(key, "expected at least one number, got an empty list");
  std::vector<double> out;
  for (const auto& item : items) {
    double x = 0;
    if (!item.IsScalar() || !YAML::convert<double>::decode(item, x))
      throw node.error(key, str_cat("expected a list of numbers, found ",
                                    item.IsScalar() ? "\"" + item.Scalar() + "\"" : std::string("a nested value")));
    if (min_open ? !(x > min) : !(x >= min))
      throw node.error(key, str_cat("expected numbers ", min_open ? "> " : ">= ", min, ", got ", x));
    out.push_back(x);
  }
  return out;
}

void check(bool ok, const std::string& key, const std::string& what) {
  if (!ok) throw ConfigError(str_cat("data.", key, ": ", what));
}

}  // namespace

DataOptions DataOptions::from_yaml(ConfigNode& node) {
  DataOptions o;
  o.name = node.get_choice("name", o.name, DatasetRegistry::global().names());
  o.root = node.get_string("root", o.root);
  o.val_fraction = node.get_double("val_fraction", o.val_fraction, 0.0, 1.0, /*min_open=*/false, /*max_open=*/true);
  o.resize = node.get_int("resize", o.resize, 0, 4096);
  o.grayscale = node.get_bool("grayscale", o.grayscale);
  o.mean = get_double_list(node, "mean", -std::numeric_limits<double>::infinity(), /*min_open=*/false);
  o.std = get_double_list(node, "std", 0.0, /*min_open=*/true);
  if (!o.mean.empty() && !o.std.empty() && o.mean.size() != o.std.size() && o.mean.size() != 1 && o.std.size() != 1)
    throw node.error("std", str_cat("has ", o.std.size(), " values but mean has ", o.mean.size(),
                                    "; give one value per channel or a single value"));
  o.random_crop_padding = node.get_int("random_crop_padding", o.random_crop_padding, 0, 1024);
  o.horizontal_flip = node.get_bool("horizontal_flip", o.horizontal_flip);
  o.limit_train = node.get_int("limit_train", o.limit_train, 0);
  o.limit_test = node.get_int("limit_test", o.limit_test, 0);
  o.synthetic_train = node.get_int("synthetic_train", o.synthetic_train, 2);
  o.synthetic_test = node.get_int("synthetic_test", o.synthetic_test, 1);
  o.synthetic_classes = node.get_int("synthetic_classes", o.synthetic_classes, 2, 1000);
  o.synthetic_channels = node.get_int("synthetic_channels", o.synthetic_channels, 1, 16);
  o.synthetic_size = node.get_int("synthetic_size", o.synthetic_size, 4, 1024);
  o.synthetic_seed = node.get_int("synthetic_seed", o.synthetic_seed, 0);
  o.synthetic_noise = node.get_double("synthetic_noise", o.synthetic_noise, 0.0, 1.0);
  o.synthetic_phase_jitter = node.get_double("synthetic_phase_jitter", o.synthetic_phase_jitter, 0.0, kPi);
  return o;
}

void DataOptions::validate() const {
  check(!name.empty(), "name", "must not be empty");
  check(val_fraction >= 0.0 && val_fraction < 1.0, "val_fraction", str_cat("expected a number in [0, 1), got ", val_fraction));
  check(resize >= 0 && resize <= 4096, "resize", str_cat("expected an integer in [0, 4096], got ", resize));
  for (double s : std) check(s > 0.0, "std", str_cat("expected numbers > 0, got ", s));
  check(random_crop_padding >= 0, "random_crop_padding", str_cat("expected an integer >= 0, got ", random_crop_padding));
  check(limit_train >= 0, "limit_train", str_cat("expected an integer >= 0, got ", limit_train));
  check(limit_test >= 0, "limit_test", str_cat("expected an integer >= 0, got ", limit_test));
  check(synthetic_train >= 2, "synthetic_train", str_cat("expected an integer >= 2, got ", synthetic_train));
  check(synthetic_test >= 1, "synthetic_test", str_cat("expected an integer >= 1, got ", synthetic_test));
  check(synthetic_classes >= 2 && synthetic_classes <= 1000, "synthetic_classes",
        str_cat("expected an integer in [2, 1000], got ", synthetic_classes));
  check(synthetic_channels >= 1 && synthetic_channels <= 16, "synthetic_channels",
        str_cat("expected an integer in [1, 16], got ", synthetic_channels));
  check(synthetic_size >= 4 && synthetic_size <= 1024, "synthetic_size",
        str_cat("expected an integer in [4, 1024], got ", synthetic_size));
  check(synthetic_seed >= 0, "synthetic_seed", str_cat("expected an integer >= 0, got ", synthetic_seed));
  check(synthetic_noise >= 0.0 && synthetic_noise <= 1.0, "synthetic_noise",
        str_cat("expected a number in [0, 1], got ", synthetic_noise));
  check(synthetic_phase_jitter >= 0.0 && synthetic_phase_jitter <= kPi, "synthetic_phase_jitter",
        str_cat("expected a number in [0, pi], got ", synthetic_phase_jitter));
}

}  // namespace tinyprune
