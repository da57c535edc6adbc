#include "datasets/idx_reader.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "datasets/mnist.h"
#include "datasets/registry.h"
#include "tests/datasets/dataset_test_util.h"

namespace tinyprune {
namespace {

using testing::Bytes;
using testing::idx_images;
using testing::idx_labels;
using testing::TempDir;
using testing::write_bytes;

// Three 2x4 images whose pixel (n, y, x) = 10n + 4y + x.
Bytes tiny_pixels() {
  Bytes p;
  for (int n = 0; n < 3; ++n)
    for (int i = 0; i < 8; ++i) p.push_back(static_cast<uint8_t>(10 * n + i));
  return p;
}

void expect_tiny_images(const torch::Tensor& images) {
  ASSERT_EQ(images.sizes(), (std::vector<int64_t>{3, 1, 2, 4}));
  ASSERT_EQ(images.scalar_type(), torch::kUInt8);
  auto a = images.accessor<uint8_t, 4>();
  for (int n = 0; n < 3; ++n)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 4; ++x) EXPECT_EQ(a[n][0][y][x], 10 * n + 4 * y + x);
}

TEST(IdxReaderTest, ReadsPlainAndGzipFiles) {
  TempDir dir;
  for (bool gz : {false, true}) {
    const std::string images = dir.file(gz ? "img.gz" : "img"), labels = dir.file(gz ? "lab.gz" : "lab");
    write_bytes(images, idx_images(3, 2, 4, tiny_pixels()), gz);
    write_bytes(labels, idx_labels(3, {0, 2, 1}), gz);
    expect_tiny_images(read_idx_images(images));
    torch::Tensor l = read_idx_labels(labels, 3);
    ASSERT_EQ(l.scalar_type(), torch::kInt64);
    EXPECT_TRUE(torch::equal(l, torch::tensor({0, 2, 1}, torch::kInt64)));
    ImageStore s = read_idx_dataset(images, labels, {"a", "b", "c"});
    EXPECT_EQ(s.size(), 3);
    EXPECT_EQ(s.shape(), (TensorShape{1, 2, 4}));
  }
}

TEST(IdxReaderTest, RejectsBadMagicAndSaysWhatTheFileIs) {
  TempDir dir;
  write_bytes(dir.file("lab.gz"), idx_labels(3, {0, 1, 2}), true);
  EXPECT_THROW_MSG(read_idx_images(dir.file("lab.gz")), DataError,
                   dir.file("lab.gz") + ": bad magic number 0x00000801, expected 0x00000803");
  EXPECT_THROW_MSG(read_idx_images(dir.file("lab.gz")), DataError, "this is an IDX label file");
  write_bytes(dir.file("img"), idx_images(3, 2, 4, tiny_pixels()));
  EXPECT_THROW_MSG(read_idx_labels(dir.file("img"), 10), DataError, "bad magic number 0x00000803, expected 0x00000801");
}

TEST(IdxReaderTest, RejectsTruncatedLabelsWithDeclaredAndPresentCounts) {
  TempDir dir;
  const std::string path = dir.file("train-labels-idx1-ubyte.gz");
  write_bytes(path, idx_labels(60000, Bytes(1234, 3)), true);
  EXPECT_THROW_MSG(read_idx_labels(path, 10), DataError,
                   path + ": truncated: header declares 60000 labels, file holds 1234");
}

TEST(IdxReaderTest, RejectsTruncatedImagesCountingWholeImages) {
  TempDir dir;
  Bytes pixels = tiny_pixels();
  pixels.resize(2 * 8 + 5);  // two whole images and part of a third
  write_bytes(dir.file("img"), idx_images(3, 2, 4, pixels));
  EXPECT_THROW_MSG(read_idx_images(dir.file("img")), DataError,
                   "truncated: header declares 3 images of 2x4, file holds 2");
}

TEST(IdxReaderTest, RejectsTruncatedGzipStream) {
  TempDir dir;
  const std::string path = dir.file("img.gz");
  Bytes pixels(50 * 28 * 28);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>((i * 7919) >> 3);
  write_bytes(path, idx_images(50, 28, 28, pixels), true);
  // Chop the compressed file in half: the gzip stream ends early.
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  EXPECT_THROW_MSG(read_idx_images(path), DataError, path + ": truncated: header declares 50 images of 28x28");
}

TEST(IdxReaderTest, RejectsTruncatedHeaderTrailingDataAndBadDimensions) {
  TempDir dir;
  write_bytes(dir.file("short"), Bytes{0, 0, 8, 3, 0, 0});
  EXPECT_THROW_MSG(read_idx_images(dir.file("short")), DataError, "truncated header");
  Bytes extra = tiny_pixels();
  extra.push_back(0);
  write_bytes(dir.file("extra"), idx_images(3, 2, 4, extra));
  EXPECT_THROW_MSG(read_idx_images(dir.file("extra")), DataError, "more data than the header declares");
  write_bytes(dir.file("zero_rows"), idx_images(3, 0, 4, {}));
  EXPECT_THROW_MSG(read_idx_images(dir.file("zero_rows")), DataError, "implausible image size 0x4");
  write_bytes(dir.file("empty"), idx_labels(0, {}));
  EXPECT_THROW_MSG(read_idx_labels(dir.file("empty"), 10), DataError, "declares 0 labels");
}

TEST(IdxReaderTest, RejectsLabelOutOfRange) {
  TempDir dir;
  write_bytes(dir.file("lab"), idx_labels(4, {0, 9, 10, 1}));
  EXPECT_THROW_MSG(read_idx_labels(dir.file("lab"), 10), DataError,
                   dir.file("lab") + ": label 10 at index 2 is outside [0, 10)");
}

TEST(IdxReaderTest, RejectsImageLabelCountMismatch) {
  TempDir dir;
  write_bytes(dir.file("img"), idx_images(3, 2, 4, tiny_pixels()));
  write_bytes(dir.file("lab"), idx_labels(2, {0, 1}));
  EXPECT_THROW_MSG(read_idx_dataset(dir.file("img"), dir.file("lab"), {"a", "b"}), DataError,
                   dir.file("img") + ": holds 3 images but " + dir.file("lab") + " holds 2 labels");
}

TEST(IdxReaderTest, MissingFileIsNamed) {
  TempDir dir;
  EXPECT_THROW_MSG(read_idx_images(dir.file("nope.gz")), DataError, dir.file("nope.gz") + ": file not found");
  EXPECT_THROW_MSG(find_idx_file(dir.path().string(), "train-images-idx3-ubyte"), DataError,
                   "train-images-idx3-ubyte.gz: file not found");
}

// A tiny MNIST directory (mixed gzip and plain files) through the registry.
TEST(IdxReaderTest, MnistFactoryReadsDirectory) {
  TempDir dir;
  Bytes train_px(20 * 28 * 28), test_px(6 * 28 * 28), train_lab, test_lab;
  for (size_t i = 0; i < train_px.size(); ++i) train_px[i] = static_cast<uint8_t>(i);
  for (int i = 0; i < 20; ++i) train_lab.push_back(static_cast<uint8_t>(i % 10));
  for (int i = 0; i < 6; ++i) test_lab.push_back(static_cast<uint8_t>(9 - i));
  write_bytes(dir.file("train-images-idx3-ubyte.gz"), idx_images(20, 28, 28, train_px), true);
  write_bytes(dir.file("train-labels-idx1-ubyte"), idx_labels(20, train_lab));
  write_bytes(dir.file("t10k-images-idx3-ubyte"), idx_images(6, 28, 28, test_px));
  write_bytes(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels(6, test_lab), true);

  DataOptions opts;
  opts.name = "mnist";
  opts.root = dir.path().string();
  opts.val_fraction = 0.25;
  DataSplits s = DatasetRegistry::global().create(opts, /*seed=*/1);
  EXPECT_EQ(s.train->size(), 15);
  ASSERT_NE(s.val, nullptr);
  EXPECT_EQ(s.val->size(), 5);
  EXPECT_EQ(s.test->size(), 6);
  EXPECT_EQ(s.train->sample_shape(), (TensorShape{1, 28, 28}));
  EXPECT_EQ(s.train->class_names()[3], "3");
  Batch b = s.test->get_batch({0, 5}, 0);
  EXPECT_TRUE(torch::equal(b.labels, torch::tensor({9, 4}, torch::kInt64)));
  // MNIST's normalization: pixel 0 -> (0 - 0.1307) / 0.3081.
  EXPECT_NEAR(b.images[0][0][0][0].item<float>(), -0.1307 / 0.3081, 1e-5);

  opts.root.clear();
  EXPECT_THROW_MSG(DatasetRegistry::global().create(opts, 1), ConfigError, "data.root: required for mnist");
}

}  // namespace
}  // namespace tinyprune
