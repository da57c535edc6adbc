// ImageStore: a whole split of an image dataset held in memory as one uint8 tensor.
//
// Readers (IDX, CIFAR-10, image folder, synthetic) each produce an ImageStore; InMemoryDataset
// views share one store through std::shared_ptr<const ImageStore>, so the train and validation
// splits never copy pixels. uint8 keeps Fashion-MNIST's 60k images at 47 MB (float would be 188 MB)
// and lets augmentation work on bytes.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/graph.h"

namespace tinyprune {

struct ImageStore {
  torch::Tensor images;  // uint8 [N, C, H, W], contiguous, CPU
  torch::Tensor labels;  // int64 [N], each in [0, class_names.size())
  std::vector<std::string> class_names;

  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  TensorShape shape() const;  // (C, H, W)
  int64_t num_classes() const { return static_cast<int64_t>(class_names.size()); }

  // Checks dtypes, shapes, contiguity and label range; throws DataError starting with `what`.
  void validate(const std::string& what) const;
  // A new store holding copies of the samples `indices` (in that order).
  ImageStore subset(const std::vector<int64_t>& indices) const;
};

}  // namespace tinyprune
