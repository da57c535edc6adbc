#include "core/train/lr_schedule.h"

#include <gtest/gtest.h>

namespace tinyprune {
namespace {

TEST(LrScheduleTest, ConstantAndWarmup) {
  LrScheduleOptions s;
  s.name = "constant";
  EXPECT_DOUBLE_EQ(lr_at_step(s, 0.1, 50, 100, 10), 0.1);
  s.warmup_epochs = 2;  // 20 steps
  s.warmup_start_factor = 0.0;
  EXPECT_DOUBLE_EQ(lr_at_step(s, 0.1, 0, 100, 10), 0.0);
  EXPECT_DOUBLE_EQ(lr_at_step(s, 0.1, 10, 100, 10), 0.05);
  EXPECT_DOUBLE_EQ(lr_at_step(s, 0.1, 20, 100, 10), 0.1);
}

TEST(LrScheduleTest, StepWithMilestonesAndStepSize) {
  LrScheduleOptions s;
  s.name = "step";
  s.milestones = {2, 5};
  s.gamma = 0.1;
  EXPECT_DOUBLE_EQ(lr_at_step(s, 1.0, 19, 100, 10), 1.0);
  EXPECT_NEAR(lr_at_step(s, 1.0, 20, 100, 10), 0.1, 1e-12);
  EXPECT_NEAR(lr_at_step(s, 1.0, 50, 100, 10), 0.01, 1e-12);
  s.milestones.clear();
  s.step_size = 3;
  EXPECT_NEAR(lr_at_step(s, 1.0, 61, 100, 10), 0.01, 1e-12);  // epoch 6 -> two decays
}

TEST(LrScheduleTest, CosineEndsAtMinLrAndIsMonotone) {
  LrScheduleOptions s;
  s.name = "cosine";
  s.min_lr = 0.001;
  double prev = 1e9;
  for (int64_t t = 0; t <= 100; ++t) {
    const double lr = lr_at_step(s, 0.1, t, 100, 10);
    EXPECT_LE(lr, prev + 1e-15);
    prev = lr;
  }
  EXPECT_DOUBLE_EQ(lr_at_step(s, 0.1, 0, 100, 10), 0.1);
  EXPECT_NEAR(lr_at_step(s, 0.1, 100, 100, 10), 0.001, 1e-12);
  EXPECT_NEAR(lr_at_step(s, 0.1, 50, 100, 10), 0.0505, 1e-12);
}

}  // namespace
}  // namespace tinyprune
