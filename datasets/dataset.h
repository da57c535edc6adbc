// Dataset: random access to labelled image batches, ready to feed a model.
//
// A Dataset owns (or shares) its samples in memory and turns a list of sample indices into one
// Batch: images gathered, augmented (train split only) and normalized. It has no notion of epochs
// or order; DataLoader (datasets/loader.h) decides which indices go into which batch.
//
//   std::shared_ptr<const Dataset> train = DatasetRegistry::global().create(opts, seed).train;
//   Batch b = train->get_batch({0, 1, 2}, /*augment_seed=*/42);   // images [3,C,H,W], labels [3]
//
// Thread-safety: every const method may be called concurrently from several threads (the loader's
// workers do); implementations keep no mutable state.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/graph.h"

namespace tinyprune {

struct Batch {
  torch::Tensor images;  // [B, C, H, W] float32, contiguous, CPU; transformed and normalized
  torch::Tensor labels;  // [B] int64, each in [0, num_classes)
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

class Dataset {
 public:
  virtual ~Dataset();

  // Number of samples; valid indices are [0, size()).
  virtual int64_t size() const = 0;
  // (C, H, W) of one sample as fed to the model, i.e. after resize / grayscale conversion.
  virtual TensorShape sample_shape() const = 0;
  virtual int64_t num_classes() const = 0;
  // One name per class, index = label. Default: "0", "1", ...
  virtual std::vector<std::string> class_names() const;

  // The samples `indices` (any order, repeats allowed) as one batch, in that order.
  // Random transforms of sample i are drawn from (augment_seed, i) only, so a batch's content does
  // not depend on which thread builds it or on which other samples share the batch.
  // Throws Error for an index outside [0, size()).
  virtual Batch get_batch(const std::vector<int64_t>& indices, uint64_t augment_seed) const = 0;
  // The same samples with every random transform disabled (evaluation on the training split,
  // calibration data). Default: get_batch(indices, 0), correct for datasets without augmentation;
  // datasets that augment must override it.
  virtual Batch get_unaugmented_batch(const std::vector<int64_t>& indices) const;
  // True when get_batch applies random transforms.
  virtual bool augments() const { return false; }

  // One line for logs: name, size, shape, classes, transforms.
  virtual std::string describe() const;
};

// "1x28x28".
std::string shape_string(const TensorShape& s);

}  // namespace tinyprune
