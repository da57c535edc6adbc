#include "datasets/registry.h"

#include <chrono>

#include "core/config_node.h"
#include "core/error.h"
#include "core/logging.h"
#include "datasets/cifar10.h"
#include "datasets/image_folder.h"
#include "datasets/mnist.h"
#include "datasets/synthetic.h"

namespace tinyprune {

void DatasetRegistry::add(std::string name, DatasetFactory factory) {
  TP_CHECK(!name.empty(), "DatasetRegistry::add: empty dataset name");
  TP_CHECK(static_cast<bool>(factory), "DatasetRegistry::add: empty factory for dataset \"", name, "\"");
  TP_CHECK(!factories_.count(name), "DatasetRegistry::add: dataset \"", name, "\" is already registered");
  factories_.emplace(std::move(name), std::move(factory));
}

std::vector<std::string> DatasetRegistry::names() const {
  std::vector<std::string> out;
  out.reserve(factories_.size());
  for (const auto& kv : factories_) out.push_back(kv.first);
  return out;
}

DataSplits DatasetRegistry::create(const DataOptions& opts, uint64_t seed) const {
  const auto it = factories_.find(opts.name);
  if (it == factories_.end()) {
    const std::vector<std::string> known = names();
    std::string list;
    for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
    const std::string near = nearest(opts.name, known);
    throw ConfigError(str_cat("data.name: unknown dataset \"", opts.name, "\"",
                              near.empty() ? "" : str_cat("; did you mean \"", near, "\"?"), " known: ", list));
  }
  opts.validate();
  const auto start = std::chrono::steady_clock::now();
  DataSplits splits = it->second(opts, seed);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  TP_CHECK_T(DataError, splits.train && splits.test, "dataset \"", opts.name, "\": factory returned no ",
             splits.train ? "test" : "train", " split");
  get_logger("data")->info("data name={} train={} val={} test={} shape={} classes={} load_ms={:.0f}", opts.name,
                           splits.train->size(), splits.val ? splits.val->size() : 0, splits.test->size(),
                           shape_string(splits.train->sample_shape()), splits.train->num_classes(), ms);
  get_logger("data")->debug("data train: {}", splits.train->describe());
  return splits;
}

DatasetRegistry& DatasetRegistry::global() {
  // Function-local static: initialized once, thread-safely, on first use.
  static DatasetRegistry* registry = [] {
    auto* r = new DatasetRegistry();  // never destroyed: factories may be used during static teardown
    register_builtin_datasets(*r);
    return r;
  }();
  return *registry;
}

void register_builtin_datasets(DatasetRegistry& registry) {
  registry.add("fashion_mnist", load_fashion_mnist);
  registry.add("mnist", load_mnist);
  registry.add("cifar10", load_cifar10);
  registry.add("image_folder", load_image_folder);
  registry.add("synthetic", load_synthetic);
}

}  // namespace tinyprune
