// DatasetRegistry: dataset readers by name (the `data.name` YAML value).
//
// Registration is explicit (no static initializers: a static library would drop them). The
// global registry comes with the built-ins; a user project adds its own before loading configs:
//
//   DatasetRegistry::global().add("my_sensor", [](const DataOptions& o, uint64_t seed) {
//     return build_splits(read_train(o.root), read_test(o.root), o, seed, {"my_sensor", {0.5}, {0.5}});
//   });
//   DataSplits s = DatasetRegistry::global().create(opts, /*seed=*/0);
//
// Built-ins: fashion_mnist, mnist, cifar10, image_folder, synthetic.
// Thread-safety: add() must not race with other calls (register at startup); create() and names()
// may run concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "datasets/data_options.h"
#include "datasets/splits.h"

namespace tinyprune {

// Reads the dataset described by the options. `seed` is the run seed: it decides the validation
// split and limit subsets, never the data themselves.
using DatasetFactory = std::function<DataSplits(const DataOptions&, uint64_t seed)>;

class DatasetRegistry {
 public:
  // Throws Error for an empty name, an empty factory or a name already registered.
  void add(std::string name, DatasetFactory factory);
  // Validates the options, runs the factory for opts.name and logs one info line (sizes, shape,
  // load time). Unknown name -> ConfigError listing the known names and the nearest one.
  DataSplits create(const DataOptions& opts, uint64_t seed) const;
  bool has(const std::string& name) const { return factories_.count(name) != 0; }
  // Registered names, sorted.
  std::vector<std::string> names() const;

  // The process-wide registry, pre-populated with register_builtin_datasets().
  static DatasetRegistry& global();

 private:
  std::map<std::string, DatasetFactory> factories_;
};

void register_builtin_datasets(DatasetRegistry& registry);

}  // namespace tinyprune
