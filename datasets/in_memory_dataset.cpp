#include "datasets/in_memory_dataset.h"

#include <torch/torch.h>

#include <numeric>

#include "core/error.h"

namespace tinyprune {

InMemoryDataset::InMemoryDataset(std::string name, std::shared_ptr<const ImageStore> store,
                                 std::vector<int64_t> indices, NormalizeTable norm, AugmentParams augment)
    : name_(std::move(name)),
      store_(std::move(store)),
      indices_(std::move(indices)),
      norm_(std::move(norm)),
      augment_(augment) {
  TP_CHECK(store_ != nullptr, name_, ": no image store");
  shape_ = store_->shape();
  TP_CHECK(norm_.channels() == shape_.c, name_, ": normalization has ", norm_.channels(), " channels, images have ",
           shape_.c);
  TP_CHECK(augment_.crop_padding >= 0, name_, ": negative crop padding ", augment_.crop_padding);
  const int64_t n = store_->size();
  for (int64_t s : indices_) TP_CHECK(s >= 0 && s < n, name_, ": store index ", s, " outside [0, ", n, ")");
}

Batch InMemoryDataset::get_batch(const std::vector<int64_t>& indices, uint64_t augment_seed) const {
  return assemble(indices, augment_seed, /*augment=*/true);
}

Batch InMemoryDataset::get_unaugmented_batch(const std::vector<int64_t>& indices) const {
  return assemble(indices, 0, /*augment=*/false);
}

int64_t InMemoryDataset::label(int64_t i) const {
  TP_CHECK(i >= 0 && i < size(), name_, ": sample index ", i, " outside [0, ", size(), ")");
  return store_->labels.data_ptr<int64_t>()[indices_[static_cast<size_t>(i)]];
}

Batch InMemoryDataset::assemble(const std::vector<int64_t>& indices, uint64_t augment_seed, bool augment) const {
  const int64_t B = static_cast<int64_t>(indices.size());
  const int64_t n = size();
  for (int64_t i : indices) TP_CHECK(i >= 0 && i < n, name_, ": sample index ", i, " outside [0, ", n, ")");
  const int64_t sample_numel = shape_.numel();
  Batch batch;
  batch.images = torch::empty({B, shape_.c, shape_.h, shape_.w}, torch::kFloat32);
  batch.labels = torch::empty({B}, torch::kInt64);
  const uint8_t* pixels = store_->images.data_ptr<uint8_t>();
  const int64_t* labels = store_->labels.data_ptr<int64_t>();
  float* out = batch.images.data_ptr<float>();
  int64_t* out_labels = batch.labels.data_ptr<int64_t>();
  const bool random = augment && augment_.any();
  for (int64_t b = 0; b < B; ++b) {
    const int64_t i = indices[static_cast<size_t>(b)];
    const int64_t s = indices_[static_cast<size_t>(i)];
    out_labels[b] = labels[s];
    // Keyed by the view index i, so a sample's augmentation is the same whichever batch holds it.
    const SampleAugment aug = random ? draw_augment(augment_, augment_seed, i) : no_augment();
    transform_sample(pixels + s * sample_numel, shape_, aug, norm_, out + b * sample_numel);
  }
  return batch;
}

std::string InMemoryDataset::describe() const {
  return str_cat(name_, ": ", size(), " samples of ", shape_string(shape_), ", ", num_classes(), " classes, ",
                 norm_.describe(), ", augment=", augment_.describe());
}

std::vector<int64_t> all_indices(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}

}  // namespace tinyprune
