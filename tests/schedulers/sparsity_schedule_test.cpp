#include "schedulers/sparsity_schedule.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>

#include "core/config_node.h"
#include "core/error.h"

namespace tinyprune {
namespace {

TEST(SparsityScheduleTest, CubicFollowsZhuGupta) {
  SparsitySchedule s;
  s.kind = ScheduleKind::kCubic;
  s.initial = 0.0;
  s.final = 0.8;
  s.begin = 100;
  s.end = 200;
  s.every = 10;
  EXPECT_EQ(s.at(99), 0.0);
  EXPECT_DOUBLE_EQ(s.at(100), 0.0);
  // Held between events: step 155 uses the event at 150 (x = 0.5): 0.8 * (1 - 0.125) = 0.7.
  EXPECT_NEAR(s.at(155), 0.7, 1e-12);
  EXPECT_NEAR(s.at(150), 0.8 - 0.8 * std::pow(0.5, 3), 1e-12);
  EXPECT_DOUBLE_EQ(s.at(200), 0.8);
  EXPECT_DOUBLE_EQ(s.at(10000), 0.8);
  EXPECT_TRUE(s.is_event(110));
  EXPECT_FALSE(s.is_event(111));
  EXPECT_EQ(s.events().size(), 11u);
  // Monotone non-decreasing.
  double prev = 0;
  for (int64_t t = 0; t < 250; ++t) {
    EXPECT_GE(s.at(t), prev);
    prev = s.at(t);
  }
}

TEST(SparsityScheduleTest, LinearOneShotAndIterative) {
  SparsitySchedule lin{ScheduleKind::kLinear, 0.2, 0.6, 0, 100, 25, 1};
  EXPECT_NEAR(lin.at(50), 0.4, 1e-12);
  EXPECT_NEAR(lin.at(74), 0.4, 1e-12);
  SparsitySchedule one{ScheduleKind::kOneShot, 0.0, 0.5, 30, 30, 1, 1};
  EXPECT_EQ(one.at(29), 0.0);
  EXPECT_EQ(one.at(30), 0.5);
  EXPECT_EQ(one.events(), std::vector<int64_t>{30});
  // Three rounds to 0.875 sparsity: each removes half of what is left.
  SparsitySchedule it{ScheduleKind::kIterative, 0.0, 0.875, 0, 100, 1, 3};
  EXPECT_EQ(it.events(), (std::vector<int64_t>{0, 50, 100}));
  EXPECT_NEAR(it.at(0), 0.5, 1e-12);
  EXPECT_NEAR(it.at(60), 0.75, 1e-12);
  EXPECT_NEAR(it.at(100), 0.875, 1e-12);
}

TEST(SparsityScheduleTest, OptionsResolveEpochsAndRejectBadValues) {
  ConfigNode root = ConfigNode::from_yaml(YAML::Load("schedule: {kind: cubic, begin_epoch: 1, end_epoch: 3}"), "s.yaml");
  ConfigNode n = root.child("schedule");
  const SparsitySchedule s = ScheduleOptions::from_yaml(n).to_schedule(0.5, /*steps_per_epoch=*/10, /*total=*/50);
  EXPECT_EQ(s.begin, 10);
  EXPECT_EQ(s.end, 30);
  EXPECT_EQ(s.every, 2);
  ConfigNode bad_root = ConfigNode::from_yaml(YAML::Load("schedule: {kind: cubical}"), "s.yaml");
  ConfigNode bad = bad_root.child("schedule");
  try {
    ScheduleOptions::from_yaml(bad);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("s.yaml:1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cubic"), std::string::npos) << e.what();
  }
  SparsitySchedule wrong{ScheduleKind::kLinear, 0.0, 1.0, 0, 10, 1, 1};
  EXPECT_THROW(wrong.validate(), Error);
}

}  // namespace
}  // namespace tinyprune
