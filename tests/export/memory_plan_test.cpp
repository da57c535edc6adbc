#include "export/memory_plan.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/resources/peak_memory.h"

namespace tinyprune {
namespace {

// x -> a -> b -> d, x -> c -> d (a skip branch), sizes in bytes.
TensorGraph diamond() {
  TensorGraph g;
  const int x = g.add_tensor("x", 100);
  const int a = g.add_tensor("a", 200, {x});
  const int b = g.add_tensor("b", 50, {a});
  const int c = g.add_tensor("c", 80, {x});
  g.add_tensor("d", 40, {b, c});
  return g;
}

void expect_no_overlap(const TensorGraph& g, const MemoryPlan& p) {
  for (int a = 0; a < g.size(); ++a)
    for (int b = a + 1; b < g.size(); ++b) {
      const bool live_together = p.first[a] <= p.last[b] && p.first[b] <= p.last[a];
      if (!live_together || p.shares_buffer_of[b] == a) continue;
      EXPECT_TRUE(p.offsets[a] + p.bytes[a] <= p.offsets[b] || p.offsets[b] + p.bytes[b] <= p.offsets[a])
          << g.name(a) << " and " << g.name(b) << " overlap";
    }
}

TEST(MemoryPlanTest, LifetimesFollowTheOrder) {
  const TensorGraph g = diamond();
  const MemoryPlan p = plan_memory(g, {1, 2, 3, 4});
  EXPECT_EQ(p.first, (std::vector<int>{-1, 0, 1, 2, 3}));
  EXPECT_EQ(p.last, (std::vector<int>{2, 1, 3, 3, 4}));  // x read by c (step 2); d is the output
  expect_no_overlap(g, p);
  check_memory_plan(g, p);
  EXPECT_EQ(p.order_peak_bytes, static_cast<int64_t>(schedule_memory(g, {1, 2, 3, 4}).peak));
  EXPECT_GE(p.arena_bytes, p.order_peak_bytes);
}

TEST(MemoryPlanTest, ArenaCoversTheOptimalOrderAndRespectsAlignment) {
  const TensorGraph g = diamond();
  const OptimalSchedule best = min_peak_memory(g);
  MemoryPlanOptions o;
  o.alignment = 64;
  const MemoryPlan p = plan_memory(g, best.order, o);
  for (int64_t off : p.offsets) EXPECT_EQ(off % 64, 0);
  EXPECT_EQ(p.order_peak_bytes, static_cast<int64_t>(best.peak));
  EXPECT_GE(p.arena_bytes, static_cast<int64_t>(best.peak));
  expect_no_overlap(g, p);
  check_memory_plan(g, p, 64);
}

TEST(MemoryPlanTest, ChainReusesMemory) {
  TensorGraph g;
  int t = g.add_tensor("in", 64);
  std::vector<int> order;
  for (int i = 0; i < 6; ++i) {
    t = g.add_tensor("t" + std::to_string(i), 64, {t});
    order.push_back(t);
  }
  const MemoryPlan p = plan_memory(g, order);
  EXPECT_EQ(p.arena_bytes, 128);  // ping-pong between two buffers
  check_memory_plan(g, p);
}

TEST(MemoryPlanTest, InplaceAddSharesTheDyingSummand) {
  TensorGraph g;
  const int x = g.add_tensor("x", 64);
  const int a = g.add_tensor("a", 64, {x});
  const int b = g.add_tensor("b", 64, {a});
  const int s = g.add_tensor("sum", 64, {a, b}, /*inplace=*/true);
  g.add_tensor("y", 16, {s});
  MemoryPlanOptions o;
  o.inplace_add = true;
  const MemoryPlan p = plan_memory(g, {a, b, s, 4}, o);
  ASSERT_NE(p.shares_buffer_of[s], -1);
  EXPECT_EQ(p.offsets[s], p.offsets[p.shares_buffer_of[s]]);
  EXPECT_EQ(p.order_peak_bytes, static_cast<int64_t>(schedule_memory(g, {a, b, s, 4}, true).peak));
  check_memory_plan(g, p);
  const MemoryPlan q = plan_memory(g, {a, b, s, 4});
  EXPECT_EQ(q.shares_buffer_of[s], -1);
  EXPECT_GT(q.arena_bytes, p.arena_bytes);
}

TEST(MemoryPlanTest, RejectsBadOrdersAndOverlappingPlans) {
  const TensorGraph g = diamond();
  EXPECT_THROW(plan_memory(g, {2, 1, 3, 4}), ExportError);  // b before a
  EXPECT_THROW(plan_memory(g, {1, 2, 3}), ExportError);     // d missing
  EXPECT_THROW(plan_memory(g, {0, 1, 2, 3, 4}), ExportError);  // schedules the input
  MemoryPlan p = plan_memory(g, {1, 2, 3, 4});
  p.offsets.assign(p.offsets.size(), 0);
  p.arena_bytes = 200;
  try {
    check_memory_plan(g, p);
    FAIL() << "expected ExportError";
  } catch (const ExportError& e) {
    EXPECT_NE(std::string(e.what()).find("overlap"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tinyprune
