#include "datasets/loader.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <set>

#include "core/error.h"
#include "datasets/registry.h"
#include "tests/datasets/dataset_test_util.h"

namespace tinyprune {
namespace {

// Sample i is a 1x1x1 image holding i (+1000 when augmented), label i; index `poison` throws.
class IndexDataset : public Dataset {
 public:
  explicit IndexDataset(int64_t n, int64_t poison = -1) : n_(n), poison_(poison) {}
  int64_t size() const override { return n_; }
  TensorShape sample_shape() const override { return {1, 1, 1}; }
  int64_t num_classes() const override { return n_; }
  Batch get_batch(const std::vector<int64_t>& indices, uint64_t) const override { return make(indices, 1000); }
  Batch get_unaugmented_batch(const std::vector<int64_t>& indices) const override { return make(indices, 0); }
  bool augments() const override { return true; }

 private:
  Batch make(const std::vector<int64_t>& indices, int64_t offset) const {
    Batch b;
    b.labels = torch::tensor(indices, torch::kInt64);
    b.images = (b.labels + offset).to(torch::kFloat32).reshape({-1, 1, 1, 1});
    for (int64_t i : indices)
      if (i == poison_) throw DataError(str_cat("poisoned sample ", i));
    return b;
  }
  int64_t n_, poison_;
};

std::vector<std::vector<int64_t>> epoch_labels(DataLoader& loader, int64_t epoch, int64_t skip = 0) {
  loader.start_epoch(epoch, skip);
  std::vector<std::vector<int64_t>> out;
  while (auto b = loader.next()) {
    const auto l = b->labels;
    out.emplace_back(l.data_ptr<int64_t>(), l.data_ptr<int64_t>() + l.numel());
  }
  return out;
}

LoaderOptions opts(int64_t batch, int64_t workers, bool shuffle = true, uint64_t seed = 0) {
  LoaderOptions o;
  o.batch_size = batch;
  o.workers = workers;
  o.shuffle = shuffle;
  o.seed = seed;
  return o;
}

TEST(DataLoaderTest, EveryIndexExactlyOncePerEpoch) {
  for (int64_t workers : {0, 1, 3}) {
    DataLoader loader(std::make_shared<IndexDataset>(103), opts(10, workers));
    EXPECT_EQ(loader.batches_per_epoch(), 11);
    const auto batches = epoch_labels(loader, 0);
    ASSERT_EQ(batches.size(), 11u);
    EXPECT_EQ(batches.back().size(), 3u);
    std::vector<int64_t> seen;
    for (const auto& b : batches) seen.insert(seen.end(), b.begin(), b.end());
    std::sort(seen.begin(), seen.end());
    std::vector<int64_t> expected(103);
    for (int64_t i = 0; i < 103; ++i) expected[static_cast<size_t>(i)] = i;
    EXPECT_EQ(seen, expected) << "workers=" << workers;
    EXPECT_FALSE(loader.next().has_value());  // stays at the end
  }
}

TEST(DataLoaderTest, SeededOrderReproducibleAndDifferentAcrossEpochs) {
  DataLoader a(std::make_shared<IndexDataset>(50), opts(8, 1, true, /*seed=*/7));
  DataLoader b(std::make_shared<IndexDataset>(50), opts(8, 0, true, /*seed=*/7));
  DataLoader c(std::make_shared<IndexDataset>(50), opts(8, 1, true, /*seed=*/8));
  const auto e0 = epoch_labels(a, 0);
  EXPECT_EQ(e0, epoch_labels(b, 0));
  EXPECT_NE(e0, epoch_labels(a, 1));
  EXPECT_NE(e0, epoch_labels(c, 0));
  EXPECT_EQ(e0, epoch_labels(a, 0));  // re-running an epoch repeats it

  DataLoader ordered(std::make_shared<IndexDataset>(5), opts(2, 1, /*shuffle=*/false));
  EXPECT_EQ(epoch_labels(ordered, 3), (std::vector<std::vector<int64_t>>{{0, 1}, {2, 3}, {4}}));
}

TEST(DataLoaderTest, DropLast) {
  LoaderOptions o = opts(10, 1);
  o.drop_last = true;
  DataLoader loader(std::make_shared<IndexDataset>(103), o);
  EXPECT_EQ(loader.batches_per_epoch(), 10);
  const auto batches = epoch_labels(loader, 2);
  ASSERT_EQ(batches.size(), 10u);
  std::set<int64_t> seen;
  for (const auto& b : batches) {
    EXPECT_EQ(b.size(), 10u);
    seen.insert(b.begin(), b.end());
  }
  EXPECT_EQ(seen.size(), 100u);
  DataLoader tiny(std::make_shared<IndexDataset>(5), o);
  EXPECT_EQ(tiny.batches_per_epoch(), 0);
  EXPECT_TRUE(epoch_labels(tiny, 0).empty());
}

// A real augmenting dataset: batches compared pixel for pixel.
std::shared_ptr<const Dataset> augmented_synthetic() {
  DataOptions o;
  o.name = "synthetic";
  o.synthetic_train = 150;
  o.val_fraction = 0.0;
  o.random_crop_padding = 3;
  o.horizontal_flip = true;
  return DatasetRegistry::global().create(o, 0).train;
}

std::vector<Batch> epoch_batches(DataLoader& loader, int64_t epoch, int64_t skip = 0) {
  loader.start_epoch(epoch, skip);
  std::vector<Batch> out;
  while (auto b = loader.next()) out.push_back(std::move(*b));
  return out;
}

void expect_same_batches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].labels, b[i].labels)) << "batch " << i;
    EXPECT_TRUE(torch::equal(a[i].images, b[i].images)) << "batch " << i;
  }
}

TEST(DataLoaderTest, SkipBatchesEqualsTailOfFullEpoch) {
  auto data = augmented_synthetic();
  DataLoader loader(data, opts(16, 2, true, 5));
  const auto full = epoch_batches(loader, 4);
  ASSERT_EQ(full.size(), 10u);
  const auto tail = epoch_batches(loader, 4, /*skip=*/6);
  expect_same_batches(std::vector<Batch>(full.begin() + 6, full.end()), tail);
  EXPECT_TRUE(epoch_batches(loader, 4, 10).empty());
  EXPECT_THROW_MSG(loader.start_epoch(4, 11), Error, "skip_batches 11 outside [0, 10]");
}

TEST(DataLoaderTest, WorkersProduceTheSameBatchesAsTheCallingThread) {
  auto data = augmented_synthetic();
  DataLoader sync(data, opts(16, 0, true, 3));
  const auto reference = epoch_batches(sync, 1);
  for (int64_t workers : {1, 2, 4}) {
    DataLoader threaded(data, opts(16, workers, true, 3));
    expect_same_batches(reference, epoch_batches(threaded, 1));
  }
  // Augmentation really differs between epochs (same samples, other crops/flips).
  LoaderOptions fixed = opts(150, 0, /*shuffle=*/false, 3);
  DataLoader whole(data, fixed);
  EXPECT_FALSE(torch::equal(epoch_batches(whole, 0)[0].images, epoch_batches(whole, 1)[0].images));
}

TEST(DataLoaderTest, AugmentFalseUsesUnaugmentedBatches) {
  LoaderOptions o = opts(4, 1, false);
  DataLoader aug(std::make_shared<IndexDataset>(6), o);
  aug.start_epoch(0);
  EXPECT_EQ(aug.next()->images[0].item<float>(), 1000.0f);
  o.augment = false;
  DataLoader plain(std::make_shared<IndexDataset>(6), o);
  plain.start_epoch(0);
  EXPECT_EQ(plain.next()->images[0].item<float>(), 0.0f);
}

TEST(DataLoaderTest, WorkerExceptionsAreRethrownInOrderAndEndTheEpoch) {
  for (int64_t workers : {0, 1, 3}) {
    DataLoader loader(std::make_shared<IndexDataset>(40, /*poison=*/25), opts(5, workers, /*shuffle=*/false));
    loader.start_epoch(0);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(loader.next().has_value()) << "batch " << i;
    EXPECT_THROW_MSG(loader.next(), DataError, "poisoned sample 25");
    EXPECT_FALSE(loader.next().has_value());
    // A new epoch starts cleanly and delivers the batches before the bad one again.
    loader.start_epoch(1, 2);
    EXPECT_EQ(loader.next()->labels[0].item<int64_t>(), 10);
  }
}

TEST(DataLoaderTest, BatchIndexAndCleanShutdownMidEpoch) {
  auto loader = std::make_unique<DataLoader>(std::make_shared<IndexDataset>(1000), opts(10, 3));
  EXPECT_THROW_MSG(loader->next(), Error, "call start_epoch first");
  loader->start_epoch(0);
  loader->next();
  loader->next();
  EXPECT_EQ(loader->batch_index(), 2);
  EXPECT_EQ(loader->epoch(), 0);
  loader->start_epoch(1, 3);  // abandons epoch 0 with batches in flight
  EXPECT_EQ(loader->batch_index(), 3);
  loader->next();
  loader.reset();  // destructor joins the workers while they wait on a full queue
  DataLoader moved(std::make_shared<IndexDataset>(10), opts(3, 1));
  moved.start_epoch(0);
  DataLoader target = std::move(moved);
  EXPECT_EQ(epoch_labels(target, 0).size(), 4u);
}

TEST(DataLoaderTest, RejectsBadOptions) {
  EXPECT_THROW_MSG(DataLoader(std::make_shared<IndexDataset>(3), opts(0, 1)), ConfigError,
                   "batch_size: expected an integer >= 1, got 0");
  EXPECT_THROW_MSG(DataLoader(std::make_shared<IndexDataset>(3), opts(2, -1)), ConfigError, "workers");
  EXPECT_THROW_MSG(DataLoader(nullptr, opts(2, 1)), Error, "null dataset");
}

}  // namespace
}  // namespace tinyprune
