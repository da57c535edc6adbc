// Measures (prints, never asserts on time) how long the exact peak-memory DP takes and how many
// states it memoises on the reference models and on k parallel branches of length n.
// bench/resources/pmu_bench.cpp prints the same figures as a standalone program.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/resources/peak_memory.h"
#include "core/resources/resource_model.h"
#include "tests/resources/test_graphs.h"

namespace tinyprune {
namespace {

struct Measured {
  OptimalSchedule best;
  double ms = 0;
};

Measured solve(const ResourceModel& rm) {
  const TensorGraph tg = rm.tensor_graph(rm.groups().original_widths());
  const auto start = std::chrono::steady_clock::now();
  Measured m;
  m.best = min_peak_memory(tg);
  m.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return m;
}

TEST(PmuScalingTest, ReferenceModelsSolveExactly) {
  struct Case {
    const char* name;
    Graph graph;
  };
  const Case cases[] = {{"mobilenet_v2 3x224x224/1000", testgraphs::mobilenet_v2(224, 1000)},
                        {"mobilenet_v2 3x32x32/10", testgraphs::mobilenet_v2(32, 10)},
                        {"resnet18 3x32x32/10", testgraphs::resnet18_cifar()},
                        {"vgg16 3x32x32/10", testgraphs::vgg16_cifar()}};
  for (const Case& c : cases) {
    ResourceModel rm(c.graph);
    const Measured m = solve(rm);
    std::printf("[pmu] %-30s tensors=%3d states=%6lld time=%8.3f ms peak=%.0f B\n", c.name, rm.deployed().size(),
                static_cast<long long>(m.best.states), m.ms, m.best.peak);
    EXPECT_GT(m.best.states, 0);
  }
}

TEST(PmuScalingTest, StatesGrowWithParallelBranches) {
  for (int k = 1; k <= 4; ++k)
    for (int n : {2, 4, 8}) {
      ResourceModel rm(testgraphs::parallel_branches(k, n));
      const Measured m = solve(rm);
      std::printf("[pmu] branches k=%d n=%d tensors=%3d states=%8lld time=%9.3f ms\n", k, n, rm.deployed().size(),
                  static_cast<long long>(m.best.states), m.ms);
      // Bounded by the number of frontiers: (n + 1)^k states at most (plus the joins).
      EXPECT_LE(m.best.states, 4 * static_cast<long long>(std::pow(n + 2, k)));
    }
}

}  // namespace
}  // namespace tinyprune
