#include "schedulers/kernel_cost_model.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace tinyprune {
namespace {

// bench/kernels (QEMU instruction counts of the runtime's kernels, conv3x3 pad 1, 32 filters):
// {H, W, Cin, kept filterlets per filter, FWCS instructions}; dense in the last column.
struct Point {
  int64_t h, w, cin, kept, fwcs, dense;
};

void expect_reproduces(const KernelCostModel& m, const std::vector<Point>& pts) {
  for (const Point& p : pts) {
    const double f = m.conv(p.h * p.w, 32, p.cin, 3, 3, /*fwcs=*/true, 32 * p.kept);
    const double d = m.conv(p.h * p.w, 32, p.cin, 3, 3, /*fwcs=*/false, 32 * 9);
    EXPECT_NEAR(f / static_cast<double>(p.fwcs), 1.0, 1e-3) << m.name << " " << p.h << "x" << p.w << "x" << p.cin
                                                             << " kept " << p.kept;
    EXPECT_NEAR(d / static_cast<double>(p.dense), 1.0, 1e-3) << m.name << " dense " << p.cin;
  }
}

TEST(KernelCostModelTest, ReproducesTheMeasuredInstructionCounts) {
  expect_reproduces(KernelCostModel::m55_mve(),
                    {{16, 16, 32, 9, 444858, 479517}, {16, 16, 32, 7, 361978, 479517}, {16, 16, 32, 4, 237658, 479517},
                     {16, 16, 32, 2, 154778, 479517}, {16, 16, 32, 1, 113338, 479517}, {32, 32, 16, 9, 1061068, 1129993},
                     {32, 32, 16, 7, 880076, 1129993}, {32, 32, 16, 4, 608588, 1129993},
                     {32, 32, 16, 2, 427596, 1129993}, {32, 32, 16, 1, 337100, 1129993}});
  expect_reproduces(KernelCostModel::m4_dsp(),
                    {{16, 16, 32, 9, 2831195, 3035210}, {16, 16, 32, 7, 2289435, 3036102},
                     {16, 16, 32, 4, 1476795, 3036854}, {16, 16, 32, 2, 935035, 3037439},
                     {16, 16, 32, 1, 664155, 3037920}, {32, 32, 16, 9, 6412899, 6818667},
                     {32, 32, 16, 7, 5297699, 6820223}, {32, 32, 16, 4, 3624899, 6821775},
                     {32, 32, 16, 2, 2509699, 6823990}, {32, 32, 16, 1, 1952099, 6824192}});
}

TEST(KernelCostModelTest, PrunedFilterletsCostNothingButPerOutputWorkRemains) {
  const KernelCostModel m = KernelCostModel::m55_mve();
  const double full = m.conv(64, 16, 32, 3, 3, true, 16 * 9);
  const double half = m.conv(64, 16, 32, 3, 3, true, 16 * 4);
  const double none = m.conv(64, 16, 32, 3, 3, true, 0);
  EXPECT_LT(half, full);
  EXPECT_GT(none, 0.0);
  EXPECT_NEAR((full - half) / (half - none), 5.0 / 4.0, 1e-12);  // linear in kept filterlets
  EXPECT_THROW(KernelCostModel::by_name("m7"), Error);
  EXPECT_EQ(KernelCostModel::by_name("m4_dsp").lanes, 4);
}

}  // namespace
}  // namespace tinyprune
