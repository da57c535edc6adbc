#include "core/resources/peak_memory.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <random>

#include "core/error.h"
#include "core/resources/tensor_graph.h"

namespace tinyprune {
namespace {

// Test vector T3.1 (algorithms.md 3.3): x=10 (input), a=20, b=5, c=30, d=6, e=8, y=4.
struct Toy {
  TensorGraph g;
  int x, a, b, c, d, e, y;
  Toy() {
    x = g.add_tensor("x", 10);
    a = g.add_tensor("a", 20, {x});
    b = g.add_tensor("b", 5, {a});
    c = g.add_tensor("c", 30, {a});
    d = g.add_tensor("d", 6, {c});
    e = g.add_tensor("e", 8, {b});
    y = g.add_tensor("y", 4, {d, e});
    g.set_outputs({y});
  }
};

TEST(PeakMemoryTest, ToyGraphOptimalFixedOrdersAndNaive) {
  Toy t;
  const OptimalSchedule best = min_peak_memory(t.g);
  EXPECT_EQ(best.peak, 55);
  EXPECT_EQ(schedule_memory(t.g, best.order).peak, 55);
  EXPECT_EQ(schedule_memory(t.g, {t.a, t.c, t.d, t.b, t.e, t.y}).peak, 56);
  EXPECT_EQ(schedule_memory(t.g, {t.a, t.b, t.e, t.c, t.d, t.y}).peak, 58);
  EXPECT_EQ(naive_peak_memory(t.g).peak, 50);
  EXPECT_EQ(naive_peak_memory(t.g).op, t.c);
  // Optimal orders tie (a,b,c,.. peaks computing c; a,c,b,.. computing b); either way x is
  // freed and a + b + c = 55 are resident.
  const ScheduleMemory m = schedule_memory(t.g, best.order);
  EXPECT_EQ(m.bottleneck, (std::vector<int>{t.a, t.b, t.c}));
  EXPECT_EQ(schedule_memory(t.g, {t.a, t.b, t.c, t.d, t.e, t.y}).peak, 55);
}

TEST(PeakMemoryTest, ChainIsMaxOfAdjacentPairs) {
  TensorGraph g;
  int x = g.add_tensor("x", 4);
  int a = g.add_tensor("a", 8, {x});
  int b = g.add_tensor("b", 2, {a});
  g.add_tensor("c", 16, {b});
  const PeakMemoryResult r = peak_memory(g);
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.peak, 18);  // max(4+8, 8+2, 2+16)
  EXPECT_EQ(r.order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(r.memory.step_bytes, (std::vector<double>{12, 10, 18}));
  EXPECT_EQ(r.memory.bottleneck, (std::vector<int>{2, 3}));
  (void)a;
}

TEST(PeakMemoryTest, InputOnlyGraphCountsTheInput) {
  TensorGraph g;
  g.add_tensor("x", 7);
  EXPECT_EQ(min_peak_memory(g).peak, 7);
  EXPECT_TRUE(min_peak_memory(g).order.empty());
  EXPECT_EQ(schedule_memory(g, {}).peak, 7);
}

TEST(PeakMemoryTest, GraphInputReadAgainLaterIsCountedOnce) {
  // A skip from the input: x stays resident while a runs and is read again by z. The recurrence
  // printed in algorithms.md 3.3 (bytes(inputs) + mem(rest)) would count x twice here (21).
  TensorGraph g;
  int x = g.add_tensor("x", 10);
  int a = g.add_tensor("a", 1, {x});
  g.add_tensor("z", 1, {x, a});
  EXPECT_EQ(min_peak_memory(g).peak, 12);  // x + a + z
}

TEST(PeakMemoryTest, InPlaceAddSavesOneBuffer) {
  // y = x + conv(x): without in-place the Add holds x, a and y.
  TensorGraph g;
  int x = g.add_tensor("x", 10);
  int a = g.add_tensor("a", 10, {x});
  g.add_tensor("y", 10, {x, a}, /*inplace=*/true);
  PeakMemoryOptions o;
  EXPECT_EQ(min_peak_memory(g, o).peak, 30);
  o.inplace_add = true;
  EXPECT_EQ(min_peak_memory(g, o).peak, 20);
  EXPECT_EQ(schedule_memory(g, {1, 2}, /*inplace_add=*/true).peak, 20);
  // Not in place when both summands are still needed afterwards: x + a + y, then + z.
  TensorGraph h;
  x = h.add_tensor("x", 10);
  a = h.add_tensor("a", 10, {x});
  int y = h.add_tensor("y", 10, {x, a}, true);
  int z = h.add_tensor("z", 1, {x, a, y});
  h.set_outputs({z});
  EXPECT_EQ(min_peak_memory(h, o).peak, 31);
  // With only x still needed, y overwrites a: x + a, then x + y + z.
  TensorGraph k;
  x = k.add_tensor("x", 10);
  a = k.add_tensor("a", 10, {x});
  y = k.add_tensor("y", 10, {x, a}, true);
  z = k.add_tensor("z", 1, {x, y});
  k.set_outputs({z});
  EXPECT_EQ(min_peak_memory(k, o).peak, 21);
  o.inplace_add = false;
  EXPECT_EQ(min_peak_memory(k, o).peak, 30);
}

TEST(PeakMemoryTest, RejectsInvalidOrders) {
  Toy t;
  try {
    schedule_memory(t.g, {t.b, t.a, t.c, t.d, t.e, t.y});
    FAIL() << "expected ResourceError";
  } catch (const ResourceError& e) {
    EXPECT_NE(std::string(e.what()).find("runs \"b\" before its input \"a\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(schedule_memory(t.g, {t.a, t.b, t.c, t.d, t.y}), ResourceError);  // e missing
  EXPECT_THROW(schedule_memory(t.g, {t.x, t.a}), ResourceError);                 // input listed
}

TEST(PeakMemoryTest, StateCapThrowsOrFallsBackToDefaultOrder) {
  // 4 independent branches of length 6 joined at the end: many frontiers.
  TensorGraph g;
  int x = g.add_tensor("x", 3);
  std::vector<int> tails;
  for (int b = 0; b < 4; ++b) {
    int t = x;
    for (int i = 0; i < 6; ++i) t = g.add_tensor("t", 1 + (b * 7 + i * 3) % 11, {t});
    tails.push_back(t);
  }
  const int y = g.add_tensor("y", 2, tails);
  g.set_outputs({y});
  PeakMemoryOptions o;
  o.state_cap = 10;
  try {
    min_peak_memory(g, o);
    FAIL() << "expected PeakMemoryStateCapError";
  } catch (const PeakMemoryStateCapError& e) {
    EXPECT_NE(std::string(e.what()).find("state cap of 10"), std::string::npos) << e.what();
  }
  const PeakMemoryResult r = peak_memory(g, o);
  EXPECT_FALSE(r.exact);
  EXPECT_NE(r.fallback_reason.find("state cap"), std::string::npos);
  EXPECT_EQ(r.order, g.default_order());
  EXPECT_EQ(r.peak, schedule_memory(g, g.default_order()).peak);
  o.fallback_to_default_order = false;
  EXPECT_THROW(peak_memory(g, o), ResourceError);
  o.state_cap = 1000000;
  const PeakMemoryResult exact = peak_memory(g, o);
  EXPECT_TRUE(exact.exact);
  EXPECT_LE(exact.peak, r.peak);
}

// Minimum over every topological order of the needed tensors (brute force).
double brute_force_min(const TensorGraph& g, bool inplace) {
  const std::vector<int> needed = g.needed();
  std::vector<int> todo;
  for (int t : needed)
    if (!g.is_graph_input(t)) todo.push_back(t);
  std::vector<char> done(static_cast<size_t>(g.size()), 0);
  for (int t = 0; t < g.size(); ++t) done[static_cast<size_t>(t)] = g.is_graph_input(t);
  std::vector<int> order;
  double best = std::numeric_limits<double>::infinity();
  std::function<void()> rec = [&] {
    if (order.size() == todo.size()) {
      best = std::min(best, schedule_memory(g, order, inplace).peak);
      return;
    }
    for (int t : todo) {
      if (done[static_cast<size_t>(t)]) continue;
      bool ready = true;
      for (int in : g.inputs(t)) ready &= done[static_cast<size_t>(in)] != 0;
      if (!ready) continue;
      done[static_cast<size_t>(t)] = 1;
      order.push_back(t);
      rec();
      order.pop_back();
      done[static_cast<size_t>(t)] = 0;
    }
  };
  rec();
  return best;
}

TEST(PeakMemoryTest, MatchesBruteForceOnRandomDags) {
  int checked = 0;
  for (unsigned seed = 0; seed < 300; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> size_dist(1, 40);
    const int n = 2 + static_cast<int>(rng() % 8);  // up to 9 tensors
    TensorGraph g;
    const int inputs = 1 + static_cast<int>(rng() % 2);
    for (int t = 0; t < n; ++t) {
      if (t < inputs) {
        g.add_tensor("in", size_dist(rng));
        continue;
      }
      std::vector<int> ins = {static_cast<int>(rng() % static_cast<unsigned>(t))};
      if (rng() % 3 == 0) ins.push_back(static_cast<int>(rng() % static_cast<unsigned>(t)));
      const bool add_like = ins.size() == 2 && rng() % 2 == 0;
      // Add-like ops get the size of a summand so in-place accumulation can apply.
      const double bytes = add_like ? g.bytes(ins[rng() % 2]) : size_dist(rng);
      g.add_tensor("t", bytes, ins, add_like);
    }
    if (rng() % 3 == 0) g.set_outputs({n - 1});
    for (bool inplace : {false, true}) {
      PeakMemoryOptions o;
      o.inplace_add = inplace;
      const OptimalSchedule dp = min_peak_memory(g, o);
      ASSERT_EQ(dp.peak, brute_force_min(g, inplace)) << "seed " << seed << " inplace " << inplace;
      ASSERT_EQ(schedule_memory(g, dp.order, inplace).peak, dp.peak) << "seed " << seed;
      ASSERT_LE(naive_peak_memory(g).peak, inplace ? std::numeric_limits<double>::infinity() : dp.peak);
      ASSERT_GE(schedule_memory(g, g.default_order(), inplace).peak, dp.peak);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 600);
}

}  // namespace
}  // namespace tinyprune
