#include "datasets/mnist.h"

#include <filesystem>

#include "core/error.h"
#include "datasets/idx_reader.h"

namespace tinyprune {

std::vector<std::string> fashion_mnist_class_names() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
}

std::string find_idx_file(const std::string& root, const std::string& stem) {
  namespace fs = std::filesystem;
  const fs::path base = fs::path(root) / stem;
  std::error_code ec;
  const std::string gz = base.string() + ".gz";
  if (fs::is_regular_file(gz, ec)) return gz;
  if (fs::is_regular_file(base, ec)) return base.string();
  throw DataError(str_cat(gz, ": file not found (nor ", base.string(), ")"));
}

IdxSplitStores read_idx_splits(const std::string& root, const std::vector<std::string>& class_names) {
  IdxSplitStores s;
  s.train = read_idx_dataset(find_idx_file(root, "train-images-idx3-ubyte"), find_idx_file(root, "train-labels-idx1-ubyte"),
                             class_names);
  s.test = read_idx_dataset(find_idx_file(root, "t10k-images-idx3-ubyte"), find_idx_file(root, "t10k-labels-idx1-ubyte"),
                            class_names);
  return s;
}

DataSplits load_fashion_mnist(const DataOptions& opts, uint64_t seed) {
  const std::string root = opts.root.empty() ? kFashionMnistDefaultRoot : opts.root;
  IdxSplitStores s = read_idx_splits(root, fashion_mnist_class_names());
  return build_splits(std::move(s.train), std::move(s.test), opts, seed, {"fashion_mnist", {0.2860}, {0.3530}});
}

DataSplits load_mnist(const DataOptions& opts, uint64_t seed) {
  TP_CHECK_T(ConfigError, !opts.root.empty(), "data.root: required for mnist (the directory holding ",
             "train-images-idx3-ubyte.gz and the other IDX files)");
  IdxSplitStores s = read_idx_splits(opts.root, {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
  return build_splits(std::move(s.train), std::move(s.test), opts, seed, {"mnist", {0.1307}, {0.3081}});
}

}  // namespace tinyprune
