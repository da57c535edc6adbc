#include "datasets/transforms.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "core/error.h"
#include "datasets/image_ops.h"
#include "datasets/in_memory_dataset.h"
#include "tests/datasets/dataset_test_util.h"

namespace tinyprune {
namespace {

// mean 0, std 1/255: the normalized value equals the pixel value, so outputs read as pixels.
NormalizeTable identity_table(int64_t channels) { return NormalizeTable({0.0}, {1.0 / 255.0}, channels); }

// 1x3x4 image with pixel (y, x) = 1 + 4y + x.
std::vector<uint8_t> hand_image() {
  std::vector<uint8_t> v(12);
  for (int i = 0; i < 12; ++i) v[static_cast<size_t>(i)] = static_cast<uint8_t>(1 + i);
  return v;
}

std::vector<float> run(const SampleAugment& aug, const std::vector<uint8_t>& src, TensorShape shape) {
  std::vector<float> out(static_cast<size_t>(shape.numel()), -99.0f);
  transform_sample(src.data(), shape, aug, identity_table(shape.c), out.data());
  for (auto& v : out) v = std::round(v);  // exact pixel values up to float rounding
  return out;
}

TEST(TransformsTest, NormalizeTableValues) {
  NormalizeTable t({0.5, 0.25}, {0.25, 0.5}, 2);
  EXPECT_FLOAT_EQ(t.table(0)[0], -2.0f);
  EXPECT_FLOAT_EQ(t.table(0)[255], 2.0f);
  EXPECT_FLOAT_EQ(t.table(1)[0], -0.5f);
  EXPECT_NEAR(t.table(1)[51], (0.2 - 0.25) / 0.5, 1e-6);
  NormalizeTable broadcast({0.1307}, {0.3081}, 3);
  EXPECT_EQ(broadcast.mean(), (std::vector<double>{0.1307, 0.1307, 0.1307}));
  EXPECT_THROW_MSG(NormalizeTable({0.1, 0.2}, {0.3}, 3), ConfigError, "data.mean: expected 1 or 3 values");
  EXPECT_THROW_MSG(NormalizeTable({0.1}, {0.0}, 1), ConfigError, "data.std: expected values > 0");
}

TEST(TransformsTest, IdentityCopiesPixels) {
  const auto out = run(no_augment(), hand_image(), {1, 3, 4});
  EXPECT_EQ(out, (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
}

TEST(TransformsTest, HorizontalFlipMirrorsRows) {
  SampleAugment a;
  a.flip = true;
  EXPECT_EQ(run(a, hand_image(), {1, 3, 4}), (std::vector<float>{4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9}));
}

TEST(TransformsTest, RandomCropShiftsWithZeroPadding) {
  SampleAugment a;
  a.padding = 1;
  a.dy = 0;  // window starts one row above the image: first row is padding
  a.dx = 2;  // and one column to the right
  EXPECT_EQ(run(a, hand_image(), {1, 3, 4}), (std::vector<float>{0, 0, 0, 0, 2, 3, 4, 0, 6, 7, 8, 0}));
  a.dy = 2;
  a.dx = 0;
  EXPECT_EQ(run(a, hand_image(), {1, 3, 4}), (std::vector<float>{0, 5, 6, 7, 0, 9, 10, 11, 0, 0, 0, 0}));
  // Crop then flip.
  a.flip = true;
  EXPECT_EQ(run(a, hand_image(), {1, 3, 4}), (std::vector<float>{7, 6, 5, 0, 11, 10, 9, 0, 0, 0, 0, 0}));
  // A window entirely outside the image (padding larger than the image) is all padding.
  a = SampleAugment{};
  a.padding = 5;
  EXPECT_EQ(run(a, hand_image(), {1, 3, 4}), std::vector<float>(12, 0.0f));
}

TEST(TransformsTest, PaddingIsZeroBeforeNormalization) {
  NormalizeTable t({0.5}, {0.5}, 1);
  std::vector<uint8_t> src(4, 255);
  std::vector<float> out(4);
  SampleAugment a;
  a.padding = 1;
  a.dy = 0;
  a.dx = 1;
  transform_sample(src.data(), {1, 2, 2}, a, t, out.data());
  EXPECT_EQ(out, (std::vector<float>{-1, -1, 1, 1}));
}

TEST(TransformsTest, DrawAugmentIsSeededAndCoversTheRange) {
  const AugmentParams params{2, true};
  std::set<int64_t> dys, dxs;
  std::set<bool> flips;
  for (int64_t i = 0; i < 200; ++i) {
    const SampleAugment a = draw_augment(params, 42, i), b = draw_augment(params, 42, i);
    EXPECT_EQ(a.dy, b.dy);
    EXPECT_EQ(a.dx, b.dx);
    EXPECT_EQ(a.flip, b.flip);
    EXPECT_EQ(a.padding, 2);
    dys.insert(a.dy);
    dxs.insert(a.dx);
    flips.insert(a.flip);
  }
  EXPECT_EQ(dys, (std::set<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(dxs, (std::set<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(flips.size(), 2u);
  int differ = 0;
  for (int64_t i = 0; i < 50; ++i) differ += draw_augment(params, 1, i).dx != draw_augment(params, 2, i).dx;
  EXPECT_GT(differ, 20);
  const SampleAugment none = draw_augment(AugmentParams{}, 42, 3);
  EXPECT_EQ(none.padding, 0);
  EXPECT_FALSE(none.flip);
}

std::shared_ptr<const ImageStore> counting_store(int64_t n, TensorShape shape) {
  auto s = std::make_shared<ImageStore>();
  s->images = torch::arange(n * shape.numel(), torch::kInt64).remainder(251).to(torch::kUInt8).reshape({n, shape.c, shape.h, shape.w});
  s->labels = torch::arange(n, torch::kInt64).remainder(3);
  s->class_names = {"a", "b", "c"};
  return s;
}

TEST(TransformsTest, DatasetAugmentationIsPerSampleAndOnlyOnRequest) {
  const TensorShape shape{2, 6, 6};
  auto store = counting_store(10, shape);
  InMemoryDataset train("t/train", store, all_indices(10), NormalizeTable({0.5}, {0.25}, 2), AugmentParams{2, true});
  InMemoryDataset plain("t/val", store, all_indices(10), NormalizeTable({0.5}, {0.25}, 2), AugmentParams{});
  EXPECT_TRUE(train.augments());
  EXPECT_FALSE(plain.augments());
  const Batch b = train.get_batch({3, 7, 5}, 11);
  EXPECT_EQ(b.images.sizes(), (std::vector<int64_t>{3, 2, 6, 6}));
  EXPECT_EQ(b.images.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(b.images.is_contiguous());
  EXPECT_TRUE(torch::equal(b.labels, torch::tensor({0, 1, 2}, torch::kInt64)));
  // Sample 7's augmentation does not depend on its batch mates or position.
  EXPECT_TRUE(torch::equal(b.images[1], train.get_batch({7}, 11).images[0]));
  // Unaugmented train batches equal the plain view's, which ignores the seed.
  EXPECT_TRUE(torch::equal(train.get_unaugmented_batch({3, 7, 5}).images, plain.get_batch({3, 7, 5}, 11).images));
  EXPECT_TRUE(torch::equal(plain.get_batch({4}, 1).images, plain.get_batch({4}, 2).images));
  // Across many seeds the augmentation changes something.
  int changed = 0;
  for (uint64_t seed = 0; seed < 10; ++seed)
    changed += !torch::equal(train.get_batch({4}, seed).images, plain.get_batch({4}, 0).images);
  EXPECT_GE(changed, 5);
  // Normalization: pixel v -> (v / 255 - 0.5) / 0.25.
  const float v = static_cast<float>(store->images[4][1][2][3].item<uint8_t>());
  EXPECT_NEAR(plain.get_batch({4}, 0).images[0][1][2][3].item<float>(), (v / 255.0 - 0.5) / 0.25, 1e-5);
  EXPECT_THROW_MSG(train.get_batch({10}, 0), Error, "t/train: sample index 10 outside [0, 10)");
}

TEST(TransformsTest, ResizeAndGrayscaleImageOps) {
  // 1x1x4x4 with 2x2 blocks of 0, 40, 80, 120: area resize to 2x2 averages each block exactly.
  auto img = torch::tensor({0, 0, 40, 40, 0, 0, 40, 40, 80, 80, 120, 120, 80, 80, 120, 120}, torch::kUInt8)
                 .reshape({1, 1, 4, 4});
  auto small = resize_images(img, 2, 2);
  EXPECT_TRUE(torch::equal(small, torch::tensor({0, 40, 80, 120}, torch::kUInt8).reshape({1, 1, 2, 2})));
  auto big = resize_images(img, 7, 5);
  EXPECT_EQ(big.sizes(), (std::vector<int64_t>{1, 1, 7, 5}));
  EXPECT_TRUE(resize_images(img, 4, 4).is_same(img));

  auto rgb = torch::zeros({2, 3, 1, 2}, torch::kUInt8);
  rgb[0][0].fill_(255);  // red
  rgb[1][1].fill_(255);  // green
  auto gray = rgb_to_grayscale(rgb);
  EXPECT_EQ(gray.sizes(), (std::vector<int64_t>{2, 1, 1, 2}));
  EXPECT_EQ(gray[0][0][0][0].item<uint8_t>(), 76);
  EXPECT_EQ(gray[1][0][0][1].item<uint8_t>(), 150);
  EXPECT_THROW_MSG(rgb_to_grayscale(torch::zeros({1, 2, 1, 1}, torch::kUInt8)), DataError, "expected 1 or 3 channels");
}

}  // namespace
}  // namespace tinyprune
