#include "schedulers/kernel_cost_model.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace tinyprune {
namespace {

// bench/kernels (QEMU instruction counts of the runtime's kernels, conv3x3 pad 1, 32 filters):
// {H, W, Cin, kept filterlets per filter, FWCS instructions, dense instructions, EF index}
// (format 1.2: the builder stores the 75 % and 90 % cells with an Elias-Fano index).
struct Point {
  int64_t h, w, cin, kept, fwcs, dense;
  bool ef;
};

void expect_reproduces(const KernelCostModel& m, const std::vector<Point>& pts) {
  for (const Point& p : pts) {
    const double f = m.conv(p.h * p.w, 32, p.cin, 3, 3, /*fwcs=*/true, 32 * p.kept, p.ef);
    const double d = m.conv(p.h * p.w, 32, p.cin, 3, 3, /*fwcs=*/false, 32 * 9);
    EXPECT_NEAR(f / static_cast<double>(p.fwcs), 1.0, 1e-3) << m.name << " " << p.h << "x" << p.w << "x" << p.cin
                                                             << " kept " << p.kept;
    EXPECT_NEAR(d / static_cast<double>(p.dense), 1.0, 1e-3) << m.name << " dense " << p.cin;
  }
}

TEST(KernelCostModelTest, ReproducesTheMeasuredInstructionCounts) {
  expect_reproduces(KernelCostModel::m55_mve(),
                    {{16, 16, 32, 9, 445040, 479517, false}, {16, 16, 32, 7, 362160, 479517, false},
                     {16, 16, 32, 4, 237840, 479517, false}, {16, 16, 32, 2, 156847, 479517, true},
                     {16, 16, 32, 1, 114430, 479517, true}, {32, 32, 16, 9, 1061471, 1129993, false},
                     {32, 32, 16, 7, 880479, 1129993, false}, {32, 32, 16, 4, 608991, 1129993, false},
                     {32, 32, 16, 2, 429886, 1129993, true}, {32, 32, 16, 1, 338413, 1129993, true}});
  expect_reproduces(KernelCostModel::m4_dsp(),
                    {{16, 16, 32, 9, 2831459, 3035210, false}, {16, 16, 32, 7, 2289763, 3036102, false},
                     {16, 16, 32, 4, 1477219, 3036854, false}, {16, 16, 32, 2, 935890, 3037439, true},
                     {16, 16, 32, 1, 664285, 3037920, true}, {32, 32, 16, 9, 6413739, 6818667, false},
                     {32, 32, 16, 7, 5298603, 6820223, false}, {32, 32, 16, 4, 3625899, 6821775, false},
                     {32, 32, 16, 2, 2511130, 6823990, true}, {32, 32, 16, 1, 1952805, 6824192, true}});
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
