#include "datasets/image_folder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "datasets/image_io.h"
#include "datasets/registry.h"
#include "tests/datasets/dataset_test_util.h"

namespace tinyprune {
namespace {

using testing::TempDir;
using testing::write_bytes;
namespace fs = std::filesystem;

// Solid-colour 10x12 RGB image.
void write_png(const fs::path& path, std::vector<int64_t> rgb) {
  fs::create_directories(path.parent_path());
  write_image(path.string(), torch::tensor(rgb, torch::kInt64).to(torch::kUInt8).reshape({3, 1, 1}).expand({3, 10, 12}).contiguous());
}

// train/{cat: 3 red, dog: 2 blue}, test/{cat: 1 red, dog: 1 blue}, plus a stray text file.
void write_pets(const fs::path& root) {
  const std::vector<int64_t> red{255, 0, 0}, blue{0, 0, 255};
  for (int i = 0; i < 3; ++i) write_png(root / "train" / "cat" / ("c" + std::to_string(i) + ".png"), red);
  for (int i = 0; i < 2; ++i) write_png(root / "train" / "dog" / ("d" + std::to_string(i) + ".png"), blue);
  write_png(root / "test" / "cat" / "c.png", red);
  write_png(root / "test" / "dog" / "d.png", blue);
  write_bytes((root / "train" / "dog" / "README.txt").string(), {'h', 'i'});
}

DataOptions folder_options(const fs::path& root) {
  DataOptions o;
  o.name = "image_folder";
  o.root = root.string();
  o.resize = 8;
  o.val_fraction = 0.0;
  return o;
}

TEST(ImageFolderTest, ReadsSortedClassesAsRgbAndResizes) {
  TempDir dir;
  write_pets(dir.path());
  DataSplits s = DatasetRegistry::global().create(folder_options(dir.path()), 0);
  EXPECT_EQ(s.val, nullptr);
  EXPECT_EQ(s.train->class_names(), (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(s.train->size(), 5);
  EXPECT_EQ(s.test->size(), 2);
  EXPECT_EQ(s.train->sample_shape(), (TensorShape{3, 8, 8}));
  // Files are sorted within a class, classes by name: cats first.
  Batch b = s.train->get_batch({0, 4}, 0);
  EXPECT_TRUE(torch::equal(b.labels, torch::tensor({0, 1}, torch::kInt64)));
  // Normalized with 0.5/0.5: 255 -> 1, 0 -> -1. Red cat: R channel first (RGB, not OpenCV's BGR).
  EXPECT_TRUE(torch::allclose(b.images[0][0], torch::ones({8, 8})));
  EXPECT_TRUE(torch::allclose(b.images[0][2], -torch::ones({8, 8})));
  EXPECT_TRUE(torch::allclose(b.images[1][2], torch::ones({8, 8})));
  EXPECT_TRUE(torch::allclose(b.images[1][0], -torch::ones({8, 8})));
}

TEST(ImageFolderTest, GrayscaleAndLimit) {
  TempDir dir;
  write_pets(dir.path());
  DataOptions o = folder_options(dir.path());
  o.grayscale = true;
  o.limit_train = 2;
  DataSplits s = DatasetRegistry::global().create(o, 0);
  EXPECT_EQ(s.train->sample_shape(), (TensorShape{1, 8, 8}));
  EXPECT_EQ(s.train->size(), 2);
  // Pure red in luma: 0.299 * 255 = 76.
  Batch b = s.test->get_batch({0}, 0);
  EXPECT_NEAR(b.images[0][0][3][3].item<float>(), (76 / 255.0 - 0.5) / 0.5, 4.0 / 255);
}

TEST(ImageFolderTest, EmptyClassFolderIsNamed) {
  TempDir dir;
  write_pets(dir.path());
  fs::create_directories(dir.path() / "train" / "emu");
  EXPECT_THROW_MSG(DatasetRegistry::global().create(folder_options(dir.path()), 0), DataError,
                   (dir.path() / "train" / "emu").string() + ": empty class folder");
}

TEST(ImageFolderTest, UnreadableImageIsNamed) {
  TempDir dir;
  write_pets(dir.path());
  const fs::path bad = dir.path() / "train" / "dog" / "broken.png";
  write_bytes(bad.string(), {'n', 'o', 't', ' ', 'a', ' ', 'p', 'n', 'g'});
  EXPECT_THROW_MSG(DatasetRegistry::global().create(folder_options(dir.path()), 0), DataError,
                   bad.string() + ": cannot decode image");
}

TEST(ImageFolderTest, MissingFoldersAndUnknownTestClass) {
  TempDir dir;
  EXPECT_THROW_MSG(DatasetRegistry::global().create(folder_options(dir.path()), 0), DataError,
                   (dir.path() / "train").string() + ": directory not found");
  write_pets(dir.path());
  write_png(dir.path() / "test" / "eel" / "e.png", {0, 255, 0});
  EXPECT_THROW_MSG(DatasetRegistry::global().create(folder_options(dir.path()), 0), DataError,
                   (dir.path() / "test" / "eel").string() + ": class folder not present in the training split");
}

TEST(ImageFolderTest, RequiresResizeAndRoot) {
  TempDir dir;
  write_pets(dir.path());
  DataOptions o = folder_options(dir.path());
  o.resize = 0;
  EXPECT_THROW_MSG(DatasetRegistry::global().create(o, 0), ConfigError, "data.resize: required for image_folder");
  o.resize = 8;
  o.root.clear();
  EXPECT_THROW_MSG(DatasetRegistry::global().create(o, 0), ConfigError, "data.root: required for image_folder");
}

}  // namespace
}  // namespace tinyprune

namespace tinyprune {
namespace {

TEST(ImageFolderTest, ImageIoRoundTripsRgbAndGray) {
  testing::TempDir dir;
  auto rgb = torch::arange(3 * 4 * 5, torch::kInt64).mul(4).to(torch::kUInt8).reshape({3, 4, 5});
  write_image(dir.file("x.png"), rgb);
  EXPECT_TRUE(torch::equal(read_image(dir.file("x.png"), /*grayscale=*/false), rgb));
  auto gray = rgb[1].unsqueeze(0).contiguous();
  write_image(dir.file("g.bmp"), gray);
  EXPECT_TRUE(torch::equal(read_image(dir.file("g.bmp"), /*grayscale=*/true), gray));
  EXPECT_THROW_MSG(read_image(dir.file("none.png"), false), DataError, "none.png: file not found");
}

}  // namespace
}  // namespace tinyprune
