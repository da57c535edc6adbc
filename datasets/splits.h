// Train / validation / test splits and the shared recipe that turns loaded stores into them.
//
// Every built-in dataset reads its files into two ImageStores (train, test) and hands them to
// build_splits(), which applies the DataOptions in a fixed order:
//   1. limit_train / limit_test: a seeded random subset (sorted, so memory is read in order);
//   2. grayscale, then resize (once, at load time; see image_ops.h);
//   3. the validation split: a seeded random val_fraction of the (limited) training set;
//   4. views: train (augmented), val and test (never augmented), all normalized alike.
// Train and val are views over one shared store; nothing is copied for the split.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datasets/data_options.h"
#include "datasets/dataset.h"
#include "datasets/image_store.h"

namespace tinyprune {

struct DataSplits {
  std::shared_ptr<const Dataset> train;
  std::shared_ptr<const Dataset> val;  // nullptr when val_fraction == 0
  std::shared_ptr<const Dataset> test;
};

struct TrainValIndices {
  std::vector<int64_t> train, val;  // disjoint, each ascending, together [0, n)
};

// Carves round(n * val_fraction) samples (at least 1 when val_fraction > 0) out of [0, n) at
// random. Deterministic in (n, val_fraction, seed). Throws DataError when n is too small to leave
// both splits non-empty.
TrainValIndices split_train_val(int64_t n, double val_fraction, uint64_t seed);

// k distinct indices of [0, n), ascending, chosen at random by `seed`; all of [0, n) when k >= n
// or k == 0.
std::vector<int64_t> random_subset(int64_t n, int64_t k, uint64_t seed);

// Dataset-specific defaults for build_splits.
struct DatasetDefaults {
  std::string name;               // used in views' names ("cifar10/train") and messages
  std::vector<double> mean, std;  // per native channel; used when DataOptions leave them empty
};

// Steps 1-4 above. `seed` is the run seed (split and limits derive their streams from it).
// Throws ConfigError for options that do not fit the data (e.g. 3 mean values for 1 channel),
// DataError for inconsistent stores.
DataSplits build_splits(ImageStore train, ImageStore test, const DataOptions& opts, uint64_t seed,
                        const DatasetDefaults& defaults);

}  // namespace tinyprune
