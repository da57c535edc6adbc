#include "datasets/splits.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "datasets/image_ops.h"
#include "datasets/in_memory_dataset.h"
#include "datasets/seeding.h"
#include "datasets/transforms.h"

namespace tinyprune {

TrainValIndices split_train_val(int64_t n, double val_fraction, uint64_t seed) {
  TP_CHECK_T(ConfigError, val_fraction >= 0.0 && val_fraction < 1.0, "data.val_fraction: expected a number in [0, 1), got ",
             val_fraction);
  TrainValIndices out;
  if (val_fraction == 0.0) {
    out.train.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out.train[static_cast<size_t>(i)] = i;
    return out;
  }
  const int64_t n_val = std::max<int64_t>(1, std::llround(static_cast<double>(n) * val_fraction));
  TP_CHECK_T(DataError, n_val < n, "cannot carve a validation split of ", n_val, " samples (val_fraction ",
             val_fraction, ") from ", n, " training samples");
  std::vector<int64_t> perm = seeded_permutation(n, seed);
  out.val.assign(perm.begin(), perm.begin() + n_val);
  out.train.assign(perm.begin() + n_val, perm.end());
  std::sort(out.val.begin(), out.val.end());
  std::sort(out.train.begin(), out.train.end());
  return out;
}

std::vector<int64_t> random_subset(int64_t n, int64_t k, uint64_t seed) {
  if (k <= 0 || k >= n) {
    std::vector<int64_t> all(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) all[static_cast<size_t>(i)] = i;
    return all;
  }
  std::vector<int64_t> perm = seeded_permutation(n, seed);
  perm.resize(static_cast<size_t>(k));
  std::sort(perm.begin(), perm.end());
  return perm;
}

namespace {

// Limit, grayscale, resize: the store as the model will see it.
ImageStore prepare(ImageStore store, int64_t limit, uint64_t limit_seed, const DataOptions& opts) {
  if (limit > 0 && limit < store.size()) store = store.subset(random_subset(store.size(), limit, limit_seed));
  if (opts.grayscale) store.images = rgb_to_grayscale(store.images);
  if (opts.resize > 0) store.images = resize_images(store.images, opts.resize, opts.resize);
  return store;
}

std::vector<double> pick(const std::vector<double>& given, const std::vector<double>& defaults, int64_t channels) {
  if (!given.empty()) return given;
  // Defaults describe the native channels; after e.g. RGB->gray they no longer apply.
  if (static_cast<int64_t>(defaults.size()) == channels) return defaults;
  return {0.5};
}

}  // namespace

DataSplits build_splits(ImageStore train, ImageStore test, const DataOptions& opts, uint64_t seed,
                        const DatasetDefaults& defaults) {
  const std::string& name = defaults.name;
  train.validate(name + " train split");
  test.validate(name + " test split");
  auto train_store = std::make_shared<const ImageStore>(
      prepare(std::move(train), opts.limit_train, mix_seed(seed, SeedStream::kTrainLimit), opts));
  auto test_store = std::make_shared<const ImageStore>(
      prepare(std::move(test), opts.limit_test, mix_seed(seed, SeedStream::kTestLimit), opts));
  TP_CHECK_T(DataError, train_store->shape() == test_store->shape(), name, ": train images are ",
             shape_string(train_store->shape()), " but test images are ", shape_string(test_store->shape()));
  TP_CHECK_T(DataError, train_store->class_names == test_store->class_names, name,
             ": train and test splits have different class lists");

  const int64_t channels = train_store->shape().c;
  const NormalizeTable norm(pick(opts.mean, defaults.mean, channels), pick(opts.std, defaults.std, channels), channels);
  const AugmentParams augment{opts.random_crop_padding, opts.horizontal_flip};

  TrainValIndices split = split_train_val(train_store->size(), opts.val_fraction, mix_seed(seed, SeedStream::kValSplit));
  DataSplits out;
  out.train = std::make_shared<InMemoryDataset>(name + "/train", train_store, std::move(split.train), norm, augment);
  if (!split.val.empty())
    out.val = std::make_shared<InMemoryDataset>(name + "/val", train_store, std::move(split.val), norm, AugmentParams{});
  out.test = std::make_shared<InMemoryDataset>(name + "/test", test_store, all_indices(test_store->size()), norm,
                                               AugmentParams{});
  return out;
}

}  // namespace tinyprune
