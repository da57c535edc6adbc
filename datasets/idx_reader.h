// Reader for the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/).
//
// Layout: a big-endian uint32 magic (0x00000803 = unsigned-byte images [N, rows, cols],
// 0x00000801 = unsigned-byte labels [N]), one big-endian uint32 per dimension, then the bytes.
// Files may be gzip-compressed or plain (zlib's gzread reads both).
//
// Every problem is a DataError that names the file and what is wrong: missing file, bad magic,
// implausible dimensions, fewer bytes than the header declares ("truncated: header declares 60000
// labels, file holds 1234"), trailing bytes, labels out of range, image/label count mismatch.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/image_store.h"

namespace tinyprune {

constexpr uint32_t kIdxImagesMagic = 0x00000803;
constexpr uint32_t kIdxLabelsMagic = 0x00000801;

// uint8 [N, 1, rows, cols].
torch::Tensor read_idx_images(const std::string& path);
// int64 [N], each checked to be in [0, num_classes).
torch::Tensor read_idx_labels(const std::string& path, int64_t num_classes);
// Both files as one store; checks that the counts match.
ImageStore read_idx_dataset(const std::string& images_path, const std::string& labels_path,
                            std::vector<std::string> class_names);

}  // namespace tinyprune
