#include "datasets/cifar10.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "datasets/in_memory_dataset.h"
#include "datasets/registry.h"
#include "tests/datasets/dataset_test_util.h"

namespace tinyprune {
namespace {

using testing::Bytes;
using testing::TempDir;
using testing::write_bytes;

// `n` records; record r has label r % 10 and pixel (c, y, x) = (r + c * 50 + y + x) mod 256.
Bytes cifar_records(int n, int first = 0) {
  Bytes b;
  for (int r = first; r < first + n; ++r) {
    b.push_back(static_cast<uint8_t>(r % 10));
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) b.push_back(static_cast<uint8_t>(r + c * 50 + y + x));
  }
  return b;
}

void write_cifar_dir(const std::filesystem::path& root, int per_batch, int test) {
  for (int i = 1; i <= 5; ++i)
    write_bytes((root / ("data_batch_" + std::to_string(i) + ".bin")).string(), cifar_records(per_batch, per_batch * (i - 1)));
  write_bytes((root / "test_batch.bin").string(), cifar_records(test, 100));
}

TEST(Cifar10Test, ReadsRecordsAsChw) {
  TempDir dir;
  write_bytes(dir.file("a.bin"), cifar_records(2));
  write_bytes(dir.file("b.bin"), cifar_records(1, 2));
  ImageStore s = read_cifar10_files({dir.file("a.bin"), dir.file("b.bin")});
  ASSERT_EQ(s.images.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
  EXPECT_TRUE(torch::equal(s.labels, torch::tensor({0, 1, 2}, torch::kInt64)));
  auto a = s.images.accessor<uint8_t, 4>();
  EXPECT_EQ(a[0][0][0][0], 0);
  EXPECT_EQ(a[1][2][3][4], (1 + 100 + 3 + 4) % 256);
  EXPECT_EQ(a[2][1][31][30], (2 + 50 + 31 + 30) % 256);
  EXPECT_EQ(s.class_names.at(0), "airplane");
  EXPECT_EQ(s.class_names.at(9), "truck");
}

TEST(Cifar10Test, RejectsFileSizeNotMultipleOfRecord) {
  TempDir dir;
  Bytes b = cifar_records(2);
  b.resize(b.size() - 7);
  write_bytes(dir.file("bad.bin"), b);
  EXPECT_THROW_MSG(read_cifar10_files({dir.file("bad.bin")}), DataError,
                   dir.file("bad.bin") + ": size 6139 bytes is not a positive multiple of the 3073-byte");
  write_bytes(dir.file("empty.bin"), {});
  EXPECT_THROW_MSG(read_cifar10_files({dir.file("empty.bin")}), DataError, "empty.bin: size 0 bytes");
}

TEST(Cifar10Test, RejectsMissingFileAndBadLabel) {
  TempDir dir;
  EXPECT_THROW_MSG(read_cifar10_files({dir.file("data_batch_1.bin")}), DataError,
                   dir.file("data_batch_1.bin") + ": file not found");
  Bytes b = cifar_records(2);
  b[3073] = 11;  // second record's label byte
  write_bytes(dir.file("lab.bin"), b);
  EXPECT_THROW_MSG(read_cifar10_files({dir.file("lab.bin")}), DataError,
                   "lab.bin: record 1 (byte offset 3073) has label 11");
}

TEST(Cifar10Test, FactoryLoadsDirectoryWithDefaultsAndOptions) {
  TempDir dir;
  write_cifar_dir(dir.path(), /*per_batch=*/4, /*test=*/3);
  DataOptions opts;
  opts.name = "cifar10";
  opts.root = dir.path().string();
  opts.val_fraction = 0.1;
  DataSplits s = DatasetRegistry::global().create(opts, 0);
  EXPECT_EQ(s.train->size() + s.val->size(), 20);
  EXPECT_EQ(s.val->size(), 2);
  EXPECT_EQ(s.test->size(), 3);
  EXPECT_EQ(s.train->sample_shape(), (TensorShape{3, 32, 32}));
  auto* train = dynamic_cast<const InMemoryDataset*>(s.train.get());
  ASSERT_NE(train, nullptr);
  EXPECT_EQ(train->normalization().mean(), (std::vector<double>{0.4914, 0.4822, 0.4465}));
  EXPECT_EQ(train->normalization().std(), (std::vector<double>{0.2470, 0.2435, 0.2616}));

  opts.grayscale = true;
  opts.resize = 16;
  s = DatasetRegistry::global().create(opts, 0);
  EXPECT_EQ(s.test->sample_shape(), (TensorShape{1, 16, 16}));
  // RGB defaults do not apply to one channel: the generic 0.5 / 0.5 does.
  EXPECT_EQ(dynamic_cast<const InMemoryDataset&>(*s.test).normalization().mean(), (std::vector<double>{0.5}));

  opts.grayscale = false;
  opts.resize = 0;
  opts.mean = {0.1, 0.2};
  EXPECT_THROW_MSG(DatasetRegistry::global().create(opts, 0), ConfigError, "data.mean: expected 1 or 3 values");

  std::filesystem::remove(dir.path() / "data_batch_3.bin");
  opts.mean.clear();
  EXPECT_THROW_MSG(DatasetRegistry::global().create(opts, 0), DataError, "data_batch_3.bin: file not found");
}

}  // namespace
}  // namespace tinyprune
