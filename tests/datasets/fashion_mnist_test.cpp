// Real Fashion-MNIST (installed by the project's setup script; a missing install fails), plus a
// bench-style report of load and batch-assembly times. No time thresholds: timings are printed.
#include "datasets/mnist.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "datasets/loader.h"
#include "datasets/registry.h"
#include "datasets/seeding.h"

namespace tinyprune {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

bool have_fashion_mnist() {
  return std::filesystem::exists(std::string(kFashionMnistDefaultRoot) + "/train-images-idx3-ubyte.gz");
}

TEST(FashionMnistDatasetTest, LoadsRealFiles) {
  ASSERT_TRUE(have_fashion_mnist()) << "Fashion-MNIST not installed at " << kFashionMnistDefaultRoot
                                    << " (scripts/setup installs dataset-fashion-mnist)";
  DataOptions o;  // defaults: fashion_mnist, default root, val_fraction 0.1
  o.val_fraction = 0.0;
  const auto t0 = Clock::now();
  DataSplits s = DatasetRegistry::global().create(o, 0);
  std::cout << "fashion_mnist full load (train+test, gunzip + parse): " << ms_since(t0) << " ms\n";
  EXPECT_EQ(s.train->size(), 60000);
  EXPECT_EQ(s.test->size(), 10000);
  EXPECT_EQ(s.train->num_classes(), 10);
  EXPECT_EQ(s.train->sample_shape(), (TensorShape{1, 28, 28}));
  EXPECT_EQ(s.train->class_names().front(), "T-shirt/top");
  EXPECT_EQ(s.train->class_names().back(), "Ankle boot");
  // Balanced classes (6000 / 1000 each) and the documented normalization: mean ~0, std ~1.
  std::vector<int64_t> all(10000);
  for (int64_t i = 0; i < 10000; ++i) all[static_cast<size_t>(i)] = i;
  Batch test = s.test->get_batch(all, 0);
  EXPECT_TRUE(torch::equal(torch::bincount(test.labels), torch::full({10}, 1000, torch::kInt64)));
  EXPECT_NEAR(test.images.mean().item<double>(), 0.0, 0.02);
  EXPECT_NEAR(test.images.std().item<double>(), 1.0, 0.02);

  o.val_fraction = 0.1;
  s = DatasetRegistry::global().create(o, 0);
  EXPECT_EQ(s.train->size(), 54000);
  EXPECT_EQ(s.val->size(), 6000);
}

TEST(DatasetBenchTest, FashionMnistBatchAssemblyTime) {
  ASSERT_TRUE(have_fashion_mnist()) << "Fashion-MNIST not installed (scripts/setup installs it)";
  DataOptions o;
  o.random_crop_padding = 2;
  o.horizontal_flip = true;
  DataSplits s = DatasetRegistry::global().create(o, 0);
  const int64_t kBatch = 128, kRounds = 200;
  const int64_t n = s.train->size();
  std::vector<std::vector<int64_t>> batches;
  for (int64_t r = 0; r < kRounds; ++r) {
    const auto perm = seeded_permutation(n, static_cast<uint64_t>(r));
    batches.emplace_back(perm.begin(), perm.begin() + kBatch);
  }
  auto time_it = [&](bool augment) {
    const auto t0 = Clock::now();
    double checksum = 0;
    for (int64_t r = 0; r < kRounds; ++r) {
      Batch b = augment ? s.train->get_batch(batches[static_cast<size_t>(r)], static_cast<uint64_t>(r))
                        : s.train->get_unaugmented_batch(batches[static_cast<size_t>(r)]);
      checksum += b.images.data_ptr<float>()[0];
    }
    EXPECT_TRUE(std::isfinite(checksum));
    return ms_since(t0) / kRounds;
  };
  time_it(false);  // warm up caches and allocator
  const double plain = time_it(false), augmented = time_it(true);
  std::cout << "fashion_mnist batch " << kBatch << " assembly: " << plain << " ms plain, " << augmented
            << " ms with crop(2)+flip\n";

  // Loader end to end with one worker: time the consumer waits per batch on an otherwise idle loop.
  LoaderOptions lo;
  lo.batch_size = kBatch;
  lo.workers = 1;
  DataLoader loader(s.train, lo);
  loader.start_epoch(0);
  const auto t0 = Clock::now();
  int64_t count = 0;
  while (loader.next()) ++count;
  std::cout << "fashion_mnist loader epoch (" << count << " batches, 1 worker): " << ms_since(t0) / count
            << " ms per batch\n";
  RecordProperty("batch_ms_plain", std::to_string(plain));
  RecordProperty("batch_ms_augmented", std::to_string(augmented));
}

}  // namespace
}  // namespace tinyprune
