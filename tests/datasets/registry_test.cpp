#include "datasets/registry.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/config_node.h"
#include "core/error.h"
#include "datasets/synthetic.h"
#include "tests/datasets/dataset_test_util.h"

namespace tinyprune {
namespace {

TEST(DatasetRegistryTest, GlobalHasTheBuiltins) {
  const auto names = DatasetRegistry::global().names();
  EXPECT_EQ(names, (std::vector<std::string>{"cifar10", "fashion_mnist", "image_folder", "mnist", "synthetic"}));
}

TEST(DatasetRegistryTest, UnknownNameListsKnownAndNearest) {
  DataOptions o;
  o.name = "fashion_mnst";
  EXPECT_THROW_MSG(DatasetRegistry::global().create(o, 0), ConfigError,
                   "data.name: unknown dataset \"fashion_mnst\"; did you mean \"fashion_mnist\"? known: cifar10, "
                   "fashion_mnist, image_folder, mnist, synthetic");
}

TEST(DatasetRegistryTest, AddRejectsDuplicatesAndUserDatasetsWork) {
  DatasetRegistry r;
  register_builtin_datasets(r);
  EXPECT_THROW_MSG(r.add("mnist", load_synthetic), Error, "\"mnist\" is already registered");
  EXPECT_THROW_MSG(r.add("", load_synthetic), Error, "empty dataset name");
  r.add("tiny", [](const DataOptions& o, uint64_t seed) {
    SyntheticSpec spec{3, 2, 5, 1};
    return build_splits(generate_synthetic(spec, SyntheticSplit::kTrain, 12),
                        generate_synthetic(spec, SyntheticSplit::kTest, 6), o, seed, {"tiny", {0.5, 0.5}, {0.2, 0.2}});
  });
  DataOptions o;
  o.name = "tiny";
  o.val_fraction = 0.25;
  DataSplits s = r.create(o, 0);
  EXPECT_EQ(s.train->size(), 9);
  EXPECT_EQ(s.train->sample_shape(), (TensorShape{2, 5, 5}));
  EXPECT_TRUE(r.has("tiny"));
  EXPECT_FALSE(DatasetRegistry::global().has("tiny"));
}

TEST(DatasetRegistryTest, CreateValidatesOptionsBuiltInCode) {
  DataOptions o;
  o.name = "synthetic";
  o.val_fraction = 1.0;
  EXPECT_THROW_MSG(DatasetRegistry::global().create(o, 0), ConfigError, "data.val_fraction: expected a number in [0, 1)");
  o.val_fraction = 0.1;
  o.synthetic_classes = 1;
  EXPECT_THROW_MSG(DatasetRegistry::global().create(o, 0), ConfigError, "data.synthetic_classes");
}

DataOptions parse(const std::string& yaml) {
  ConfigNode root = ConfigNode::from_yaml(YAML::Load(yaml), "test.yaml");
  ConfigNode data = root.child("data");
  DataOptions o = DataOptions::from_yaml(data);
  root.finish();
  return o;
}

TEST(DatasetOptionsTest, ParsesEveryKey) {
  const DataOptions o = parse(
      "data:\n"
      "  name: synthetic\n"
      "  root: /tmp/x\n"
      "  val_fraction: 0.2\n"
      "  resize: 20\n"
      "  grayscale: true\n"
      "  mean: [0.1, 0.2, 0.3]\n"
      "  std: 0.5\n"
      "  random_crop_padding: 4\n"
      "  horizontal_flip: true\n"
      "  limit_train: 100\n"
      "  limit_test: 50\n"
      "  synthetic_train: 64\n"
      "  synthetic_test: 32\n"
      "  synthetic_classes: 3\n"
      "  synthetic_channels: 2\n"
      "  synthetic_size: 8\n"
      "  synthetic_seed: 11\n"
      "  synthetic_noise: 0.3\n"
      "  synthetic_phase_jitter: 3.1416\n");
  EXPECT_EQ(o.name, "synthetic");
  EXPECT_EQ(o.root, "/tmp/x");
  EXPECT_DOUBLE_EQ(o.val_fraction, 0.2);
  EXPECT_EQ(o.resize, 20);
  EXPECT_TRUE(o.grayscale);
  EXPECT_EQ(o.mean, (std::vector<double>{0.1, 0.2, 0.3}));
  EXPECT_EQ(o.std, (std::vector<double>{0.5}));
  EXPECT_EQ(o.random_crop_padding, 4);
  EXPECT_TRUE(o.horizontal_flip);
  EXPECT_EQ(o.limit_train, 100);
  EXPECT_EQ(o.limit_test, 50);
  EXPECT_EQ(o.synthetic_train, 64);
  EXPECT_EQ(o.synthetic_test, 32);
  EXPECT_EQ(o.synthetic_classes, 3);
  EXPECT_EQ(o.synthetic_channels, 2);
  EXPECT_EQ(o.synthetic_size, 8);
  EXPECT_EQ(o.synthetic_seed, 11);
  EXPECT_DOUBLE_EQ(o.synthetic_noise, 0.3);
  EXPECT_DOUBLE_EQ(o.synthetic_phase_jitter, 3.1416);
  o.validate();
}

TEST(DatasetOptionsTest, DefaultsWhenSectionIsEmpty) {
  const DataOptions o = parse("data: {}\n");
  EXPECT_EQ(o.name, "fashion_mnist");
  EXPECT_TRUE(o.root.empty());
  EXPECT_DOUBLE_EQ(o.val_fraction, 0.1);
  EXPECT_TRUE(o.mean.empty());
}

TEST(DatasetOptionsTest, ErrorsNameFileLineAndKey) {
  EXPECT_THROW_MSG(parse("data:\n  name: synthetic\n  horizontal_flp: true\n"), ConfigError,
                   "test.yaml:3:3: data.horizontal_flp: unknown key; did you mean \"horizontal_flip\"?");
  EXPECT_THROW_MSG(parse("data:\n  val_fraction: lots\n"), ConfigError,
                   "test.yaml:2:17: data.val_fraction: expected a number, got \"lots\"");
  EXPECT_THROW_MSG(parse("data:\n  val_fraction: 1.0\n"), ConfigError, "data.val_fraction: expected a number >= 0 and < 1");
  EXPECT_THROW_MSG(parse("data:\n  resize: [3]\n"), ConfigError, "data.resize: expected an integer, got a list");
  EXPECT_THROW_MSG(parse("data:\n  grayscale: maybe\n"), ConfigError, "data.grayscale: expected true or false");
  EXPECT_THROW_MSG(parse("data:\n  std: [0.5, 0]\n"), ConfigError, "test.yaml:2:8: data.std: expected numbers > 0, got 0");
  EXPECT_THROW_MSG(parse("data:\n  mean: [0.5, x]\n"), ConfigError, "data.mean: expected a list of numbers, found \"x\"");
  EXPECT_THROW_MSG(parse("data:\n  mean: {a: 1}\n"), ConfigError, "data.mean: expected a number or a list of numbers");
  EXPECT_THROW_MSG(parse("data:\n  mean: [0.1, 0.2]\n  std: [0.1, 0.2, 0.3]\n"), ConfigError,
                   "data.std: has 3 values but mean has 2");
  EXPECT_THROW_MSG(parse("data:\n  name: cifar100\n"), ConfigError,
                   "data.name: unknown value \"cifar100\"; did you mean \"cifar10\"?");
  EXPECT_THROW_MSG(parse("data:\n  limit_train: -1\n"), ConfigError, "data.limit_train: expected an integer >= 0");
  EXPECT_THROW_MSG(parse("data:\n  synthetic_phase_jitter: 4\n"), ConfigError, "data.synthetic_phase_jitter");
}

}  // namespace
}  // namespace tinyprune
