// MNIST and Fashion-MNIST: 28x28 grayscale digits / clothes, 60000 train + 10000 test, 10 classes,
// stored as IDX files (see idx_reader.h):
//   <root>/train-images-idx3-ubyte[.gz]  <root>/train-labels-idx1-ubyte[.gz]
//   <root>/t10k-images-idx3-ubyte[.gz]   <root>/t10k-labels-idx1-ubyte[.gz]
// Normalization defaults: Fashion-MNIST mean 0.2860 std 0.3530; MNIST mean 0.1307 std 0.3081.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/data_options.h"
#include "datasets/image_store.h"
#include "datasets/splits.h"

namespace tinyprune {

// Where the project's setup script installs Fashion-MNIST; the default `root` of fashion_mnist.
constexpr const char* kFashionMnistDefaultRoot = "/usr/share/datasets/fashion-mnist";

std::vector<std::string> fashion_mnist_class_names();

// "<root>/<stem>.gz" if it exists, else "<root>/<stem>"; DataError naming both when neither does.
std::string find_idx_file(const std::string& root, const std::string& stem);

// train = train-*, test = t10k-*.
struct IdxSplitStores {
  ImageStore train, test;
};
IdxSplitStores read_idx_splits(const std::string& root, const std::vector<std::string>& class_names);

// DatasetFactory implementations (registered as "fashion_mnist" and "mnist"). mnist has no
// default root: data.root is required.
DataSplits load_fashion_mnist(const DataOptions& opts, uint64_t seed);
DataSplits load_mnist(const DataOptions& opts, uint64_t seed);

}  // namespace tinyprune
