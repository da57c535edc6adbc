// DataLoader: epochs of batches over a Dataset, prefetched by worker threads.
//
//   DataLoader loader(splits.train, LoaderOptions{/*batch_size=*/128});
//   for (int64_t epoch = 0; epoch < epochs; ++epoch) {
//     loader.start_epoch(epoch);
//     while (auto batch = loader.next()) train_step(batch->images, batch->labels);
//   }
//
// Determinism: the order of epoch e is a permutation seeded by (seed, e) (identity when !shuffle),
// and augmentation is seeded by (seed, e) and the sample index, so batch k of epoch e is the same
// for any `workers` count and after start_epoch(e, k) on a resumed run.
//
// Threading: with workers >= 1, that many threads build batches ahead of the consumer (at most
// 2 * workers batches in flight) and next() hands them out in order. An exception thrown while
// building batch k is re-thrown by the next() call that would have returned batch k; that ends the
// epoch. start_epoch() and the destructor stop and join the workers. A DataLoader itself is used
// from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "datasets/dataset.h"

namespace tinyprune {

struct LoaderOptions {
  int64_t batch_size = 128;  // >= 1
  bool shuffle = true;
  bool drop_last = false;    // drop a final batch smaller than batch_size
  int64_t workers = 1;       // 0 = build batches on the calling thread inside next()
  uint64_t seed = 0;
  bool augment = true;       // false: get_unaugmented_batch (e.g. evaluating on the train split)
};

class DataLoader {
 public:
  // Throws ConfigError for batch_size < 1 or workers < 0, Error for a null dataset.
  DataLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;
  // A moved-from DataLoader may only be destroyed or assigned to.
  DataLoader(DataLoader&&) noexcept;
  DataLoader& operator=(DataLoader&&) noexcept;

  int64_t batches_per_epoch() const;
  // Begins epoch `epoch` (>= 0) at batch `skip_batches` (in [0, batches_per_epoch()]); stops any
  // previous epoch first. Returns immediately; workers start loading.
  void start_epoch(int64_t epoch, int64_t skip_batches = 0);
  // The next batch of the current epoch; nullopt at its end. Throws Error before any start_epoch.
  std::optional<Batch> next();

  // Batches of the current epoch handed out so far, counting skipped ones: what to pass as
  // skip_batches to resume right after the last batch returned.
  int64_t batch_index() const;
  int64_t epoch() const;
  const Dataset& dataset() const;
  const LoaderOptions& options() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tinyprune
