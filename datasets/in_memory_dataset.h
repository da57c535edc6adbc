// InMemoryDataset: a view over an ImageStore (a list of sample indices) plus its transforms.
//
// The train and validation splits of one dataset are two InMemoryDatasets over the same store with
// disjoint index lists; only the train view augments. Batches are assembled by gathering the uint8
// samples and running transform_sample (crop, flip, normalize in one pass) straight into the
// float output, so a batch costs one read of its pixels and one write of its floats.
//
//   auto store = std::make_shared<const ImageStore>(read_idx_pair(images, labels, 10, names));
//   InMemoryDataset train("mnist/train", store, all_indices(store->size()),
//                         NormalizeTable({0.1307}, {0.3081}, 1), AugmentParams{2, false});
//
// Immutable after construction; all methods are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "datasets/dataset.h"
#include "datasets/image_store.h"
#include "datasets/transforms.h"

namespace tinyprune {

class InMemoryDataset : public Dataset {
 public:
  // `indices`: the store index of each sample of this view, each in [0, store->size()); the view's
  // sample i is store sample indices[i]. Throws Error for out-of-range indices or a store whose
  // channel count differs from `norm`'s.
  InMemoryDataset(std::string name, std::shared_ptr<const ImageStore> store, std::vector<int64_t> indices,
                  NormalizeTable norm, AugmentParams augment);

  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  TensorShape sample_shape() const override { return shape_; }
  int64_t num_classes() const override { return store_->num_classes(); }
  std::vector<std::string> class_names() const override { return store_->class_names; }
  Batch get_batch(const std::vector<int64_t>& indices, uint64_t augment_seed) const override;
  Batch get_unaugmented_batch(const std::vector<int64_t>& indices) const override;
  bool augments() const override { return augment_.any(); }
  std::string describe() const override;

  const std::string& name() const { return name_; }
  const std::shared_ptr<const ImageStore>& store() const { return store_; }
  const std::vector<int64_t>& indices() const { return indices_; }
  const NormalizeTable& normalization() const { return norm_; }
  const AugmentParams& augmentation() const { return augment_; }
  // Label of view sample i (no pixel work; for class statistics, stratification, tests).
  int64_t label(int64_t i) const;

 private:
  Batch assemble(const std::vector<int64_t>& indices, uint64_t augment_seed, bool augment) const;

  std::string name_;
  std::shared_ptr<const ImageStore> store_;
  std::vector<int64_t> indices_;
  NormalizeTable norm_;
  AugmentParams augment_;
  TensorShape shape_;
};

// [0, 1, ..., n-1].
std::vector<int64_t> all_indices(int64_t n);

}  // namespace tinyprune
