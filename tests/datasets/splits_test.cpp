#include "datasets/splits.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "datasets/in_memory_dataset.h"
#include "datasets/registry.h"
#include "tests/datasets/dataset_test_util.h"

namespace tinyprune {
namespace {

TEST(DatasetSplitTest, ValSplitIsDisjointCompleteAndSeeded) {
  const TrainValIndices a = split_train_val(1000, 0.1, 5);
  EXPECT_EQ(a.val.size(), 100u);
  EXPECT_EQ(a.train.size(), 900u);
  EXPECT_TRUE(std::is_sorted(a.train.begin(), a.train.end()));
  EXPECT_TRUE(std::is_sorted(a.val.begin(), a.val.end()));
  std::set<int64_t> all(a.train.begin(), a.train.end());
  for (int64_t v : a.val) EXPECT_TRUE(all.insert(v).second) << "index " << v << " in both splits";
  EXPECT_EQ(all.size(), 1000u);
  EXPECT_EQ(*all.rbegin(), 999);

  const TrainValIndices again = split_train_val(1000, 0.1, 5);
  EXPECT_EQ(a.val, again.val);
  EXPECT_NE(a.val, split_train_val(1000, 0.1, 6).val);

  EXPECT_TRUE(split_train_val(10, 0.0, 1).val.empty());
  EXPECT_EQ(split_train_val(10, 0.01, 1).val.size(), 1u);  // at least one when asked for
  EXPECT_THROW_MSG(split_train_val(1, 0.5, 1), DataError, "from 1 training samples");
}

TEST(DatasetSplitTest, RandomSubsetIsSortedDistinctAndSeeded) {
  const auto s = random_subset(100, 10, 3);
  EXPECT_EQ(s.size(), 10u);
  EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
  EXPECT_EQ(std::set<int64_t>(s.begin(), s.end()).size(), 10u);
  EXPECT_EQ(s, random_subset(100, 10, 3));
  EXPECT_NE(s, random_subset(100, 10, 4));
  EXPECT_EQ(random_subset(5, 0, 3).size(), 5u);
  EXPECT_EQ(random_subset(5, 9, 3).size(), 5u);
}

DataOptions small_synthetic() {
  DataOptions o;
  o.name = "synthetic";
  o.synthetic_train = 100;
  o.synthetic_test = 20;
  o.val_fraction = 0.2;
  o.random_crop_padding = 2;
  o.horizontal_flip = true;
  return o;
}

TEST(DatasetSplitTest, TrainAndValShareStorageAndOnlyTrainAugments) {
  DataSplits s = DatasetRegistry::global().create(small_synthetic(), 9);
  auto* train = dynamic_cast<const InMemoryDataset*>(s.train.get());
  auto* val = dynamic_cast<const InMemoryDataset*>(s.val.get());
  auto* test = dynamic_cast<const InMemoryDataset*>(s.test.get());
  ASSERT_TRUE(train && val && test);
  EXPECT_EQ(train->store(), val->store());  // same pixels, two index lists
  EXPECT_NE(train->store(), test->store());
  EXPECT_EQ(train->size(), 80);
  EXPECT_EQ(val->size(), 20);
  EXPECT_TRUE(train->augments());
  EXPECT_FALSE(val->augments());
  EXPECT_FALSE(test->augments());
  std::set<int64_t> train_ids(train->indices().begin(), train->indices().end());
  for (int64_t v : val->indices()) EXPECT_EQ(train_ids.count(v), 0u);
  EXPECT_NE(train->describe().find("synthetic/train: 80 samples of 1x16x16, 10 classes"), std::string::npos)
      << train->describe();
  EXPECT_NE(train->describe().find("random_crop(padding=2) horizontal_flip"), std::string::npos);
}

TEST(DatasetSplitTest, SplitIsStableUnderTheSameSeed) {
  DataSplits a = DatasetRegistry::global().create(small_synthetic(), 9);
  DataSplits b = DatasetRegistry::global().create(small_synthetic(), 9);
  DataSplits c = DatasetRegistry::global().create(small_synthetic(), 10);
  auto val_ids = [](const DataSplits& s) { return dynamic_cast<const InMemoryDataset&>(*s.val).indices(); };
  EXPECT_EQ(val_ids(a), val_ids(b));
  EXPECT_NE(val_ids(a), val_ids(c));
  EXPECT_TRUE(torch::equal(a.val->get_batch({0, 1, 2}, 0).images, b.val->get_batch({0, 1, 2}, 0).images));
}

TEST(DatasetSplitTest, NoValidationSplitWhenFractionIsZero) {
  DataOptions o = small_synthetic();
  o.val_fraction = 0.0;
  DataSplits s = DatasetRegistry::global().create(o, 1);
  EXPECT_EQ(s.val, nullptr);
  EXPECT_EQ(s.train->size(), 100);
}

TEST(DatasetSplitTest, LimitsResizeAndCustomNormalization) {
  DataOptions o = small_synthetic();
  o.limit_train = 30;
  o.limit_test = 7;
  o.resize = 8;
  o.mean = {0.25};
  o.std = {0.5};
  DataSplits s = DatasetRegistry::global().create(o, 1);
  EXPECT_EQ(s.train->size() + s.val->size(), 30);
  EXPECT_EQ(s.val->size(), 6);
  EXPECT_EQ(s.test->size(), 7);
  EXPECT_EQ(s.test->sample_shape(), (TensorShape{1, 8, 8}));
  auto& test = dynamic_cast<const InMemoryDataset&>(*s.test);
  EXPECT_EQ(test.normalization().mean(), (std::vector<double>{0.25}));
  EXPECT_EQ(test.store()->size(), 7);  // the limit drops the rest of the pixels, not just indices
}

}  // namespace
}  // namespace tinyprune
