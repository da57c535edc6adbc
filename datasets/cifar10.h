// CIFAR-10, binary version (https://www.cs.toronto.edu/~kriz/cifar.html): 32x32 RGB, 10 classes.
//
//   <root>/data_batch_1.bin ... data_batch_5.bin   (50000 train images)
//   <root>/test_batch.bin                          (10000 test images)
// (<root>/cifar-10-batches-bin/ is accepted too, as the archive unpacks.) Each record is 1 label
// byte followed by 3072 pixel bytes: the red, green and blue 32x32 planes, row-major, which is
// already the CHW layout we store.
// Normalization defaults: mean (0.4914, 0.4822, 0.4465), std (0.2470, 0.2435, 0.2616).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/data_options.h"
#include "datasets/image_store.h"
#include "datasets/splits.h"

namespace tinyprune {

constexpr int64_t kCifarImageBytes = 3 * 32 * 32;
constexpr int64_t kCifarRecordBytes = 1 + kCifarImageBytes;

std::vector<std::string> cifar10_class_names();

// Reads and concatenates CIFAR-10 binary batch files. DataError naming the file when it is missing,
// empty, not a whole number of 3073-byte records, or holds a label outside [0, 10).
ImageStore read_cifar10_files(const std::vector<std::string>& paths);

// DatasetFactory (registered as "cifar10"); data.root is required.
DataSplits load_cifar10(const DataOptions& opts, uint64_t seed);

}  // namespace tinyprune
