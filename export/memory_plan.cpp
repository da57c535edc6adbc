#include "export/memory_plan.h"

#include <algorithm>
#include <functional>
#include <numeric>

#include "core/error.h"

namespace tinyprune {

namespace {

int64_t align_up(int64_t x, int64_t a) { return (x + a - 1) / a * a; }

struct Buffer {
  int first = 0, last = 0;
  int64_t bytes = 0;
  std::vector<int> tensors;
};

bool intersect(int f1, int l1, int f2, int l2) { return f1 <= l2 && f2 <= l1; }

// Places `buffers` in the given order: each at the lowest aligned offset where it overlaps no placed
// buffer with an intersecting lifetime (first fit), or at the start of the smallest such gap that
// holds it (best fit; the unbounded space above every conflict counts as the largest gap).
// Returns the arena; `offsets` per buffer.
int64_t place(const std::vector<Buffer>& buffers, const std::vector<size_t>& order, int64_t alignment, bool best_fit,
              std::vector<int64_t>& offsets) {
  offsets.assign(buffers.size(), -1);
  std::vector<size_t> placed;
  int64_t arena = 0;
  for (size_t b : order) {
    const Buffer& buf = buffers[b];
    std::vector<size_t> conflicts;
    for (size_t p : placed)
      if (intersect(buf.first, buf.last, buffers[p].first, buffers[p].last)) conflicts.push_back(p);
    std::sort(conflicts.begin(), conflicts.end(), [&](size_t x, size_t y) { return offsets[x] < offsets[y]; });
    // Walk the free gaps between conflicts in offset order.
    int64_t off = 0, best = -1, best_gap = -1;
    for (size_t c : conflicts) {
      if (off + buf.bytes <= offsets[c]) {
        const int64_t gap = offsets[c] - off;
        if (!best_fit) {
          best = off;
          break;
        }
        if (best < 0 || gap < best_gap) {
          best = off;
          best_gap = gap;
        }
      }
      off = std::max(off, align_up(offsets[c] + buffers[c].bytes, alignment));
    }
    if (best < 0) best = off;  // above every conflict
    offsets[b] = best;
    placed.push_back(b);
    arena = std::max(arena, best + buf.bytes);
  }
  return arena;
}

}  // namespace

MemoryPlan plan_memory(const TensorGraph& g, const std::vector<int>& order, const MemoryPlanOptions& options) {
  TP_CHECK_T(ExportError, options.alignment >= 1, "memory plan alignment must be >= 1");
  const int n = g.size();
  MemoryPlan plan;
  plan.order = order;
  plan.bytes.resize(static_cast<size_t>(n));
  plan.first.assign(static_cast<size_t>(n), -1);
  plan.last.assign(static_cast<size_t>(n), -1);
  plan.shares_buffer_of.assign(static_cast<size_t>(n), -1);
  std::vector<int> pos(static_cast<size_t>(n), -2);
  for (size_t k = 0; k < order.size(); ++k) {
    const int t = order[k];
    TP_CHECK_T(ExportError, t >= 0 && t < n, "execution order names tensor ", t, ", the graph has ", n);
    TP_CHECK_T(ExportError, !g.is_graph_input(t), "execution order schedules graph input \"", g.name(t), "\"");
    TP_CHECK_T(ExportError, pos[static_cast<size_t>(t)] == -2, "execution order runs \"", g.name(t), "\" twice");
    for (int in : g.inputs(t))
      TP_CHECK_T(ExportError, g.is_graph_input(in) || pos[static_cast<size_t>(in)] >= 0, "execution order runs \"",
                 g.name(t), "\" before its input \"", g.name(in), "\"");
    pos[static_cast<size_t>(t)] = static_cast<int>(k);
  }
  const int end = static_cast<int>(order.size());
  for (int t = 0; t < n; ++t) {
    plan.bytes[static_cast<size_t>(t)] = static_cast<int64_t>(g.bytes(t));
    if (g.is_graph_input(t)) {
      plan.first[static_cast<size_t>(t)] = -1;
    } else {
      TP_CHECK_T(ExportError, pos[static_cast<size_t>(t)] >= 0, "tensor \"", g.name(t),
                 "\" is not in the execution order");
      plan.first[static_cast<size_t>(t)] = pos[static_cast<size_t>(t)];
    }
    int last = plan.first[static_cast<size_t>(t)];
    for (int c : g.consumers(t)) last = std::max(last, pos[static_cast<size_t>(c)]);
    if (g.is_output(t)) last = end;
    plan.last[static_cast<size_t>(t)] = last;
  }

  // Buffers: one per tensor, in-place Adds merged into the summand they overwrite.
  std::vector<int> buffer_of(static_cast<size_t>(n), -1);
  std::vector<Buffer> buffers;
  auto new_buffer = [&](int t) {
    buffer_of[static_cast<size_t>(t)] = static_cast<int>(buffers.size());
    buffers.push_back({plan.first[static_cast<size_t>(t)], plan.last[static_cast<size_t>(t)],
                       plan.bytes[static_cast<size_t>(t)], {t}});
  };
  for (int t = 0; t < n; ++t)
    if (g.is_graph_input(t)) new_buffer(t);
  for (int k = 0; k < end; ++k) {
    const int t = order[static_cast<size_t>(k)];
    int reuse = -1;
    if (options.inplace_add && g.inplace(t))
      for (int in : g.inputs(t))
        if (plan.last[static_cast<size_t>(in)] == k && !g.is_output(in) &&
            plan.bytes[static_cast<size_t>(in)] >= plan.bytes[static_cast<size_t>(t)]) {
          reuse = in;
          break;
        }
    if (reuse < 0) {
      new_buffer(t);
      continue;
    }
    Buffer& b = buffers[static_cast<size_t>(buffer_of[static_cast<size_t>(reuse)])];
    b.last = std::max(b.last, plan.last[static_cast<size_t>(t)]);
    b.tensors.push_back(t);
    buffer_of[static_cast<size_t>(t)] = buffer_of[static_cast<size_t>(reuse)];
    plan.shares_buffer_of[static_cast<size_t>(t)] = reuse;
  }

  // Three placement orders x {first fit, best fit}; keep the smallest arena (first wins ties).
  struct Strategy {
    const char* name;
    std::function<bool(const Buffer&, const Buffer&)> before;
    bool best_fit;
  };
  auto by_size = [](const Buffer& a, const Buffer& b) {
    return a.bytes != b.bytes ? a.bytes > b.bytes : a.first < b.first;
  };
  auto by_start = [](const Buffer& a, const Buffer& b) {
    return a.first != b.first ? a.first < b.first : a.bytes > b.bytes;
  };
  auto by_area = [](const Buffer& a, const Buffer& b) {
    const int64_t x = a.bytes * (a.last - a.first + 1), y = b.bytes * (b.last - b.first + 1);
    return x != y ? x > y : a.first < b.first;
  };
  const std::vector<Strategy> strategies = {
      {"size/first-fit", by_size, false},   {"size/best-fit", by_size, true},
      {"start/first-fit", by_start, false}, {"start/best-fit", by_start, true},
      {"area/first-fit", by_area, false},   {"area/best-fit", by_area, true},
  };
  std::vector<int64_t> best_offsets;
  int64_t best_arena = -1;
  for (const Strategy& st : strategies) {
    std::vector<size_t> order_b(buffers.size());
    std::iota(order_b.begin(), order_b.end(), 0);
    std::stable_sort(order_b.begin(), order_b.end(),
                     [&](size_t a, size_t b) { return st.before(buffers[a], buffers[b]); });
    std::vector<int64_t> off;
    const int64_t arena = place(buffers, order_b, options.alignment, st.best_fit, off);
    if (best_arena < 0 || arena < best_arena) {
      best_arena = arena;
      best_offsets = std::move(off);
      plan.strategy = st.name;
    }
  }
  plan.arena_bytes = best_arena;
  plan.offsets.assign(static_cast<size_t>(n), 0);
  for (int t = 0; t < n; ++t)
    plan.offsets[static_cast<size_t>(t)] = best_offsets[static_cast<size_t>(buffer_of[static_cast<size_t>(t)])];

  for (int k = 0; k < end; ++k) {
    int64_t live = 0;
    for (const Buffer& b : buffers)
      if (b.first <= k && k <= b.last) live += b.bytes;
    plan.order_peak_bytes = std::max(plan.order_peak_bytes, live);
  }
  return plan;
}

MemoryPlan without_reuse(MemoryPlan plan, int64_t alignment) {
  int64_t off = 0;
  for (size_t t = 0; t < plan.offsets.size(); ++t) {
    plan.offsets[t] = off;
    plan.shares_buffer_of[t] = -1;
    off = align_up(off + plan.bytes[t], alignment);
  }
  plan.arena_bytes = off;
  return plan;
}

void check_memory_plan(const TensorGraph& g, const MemoryPlan& plan, int64_t alignment) {
  const int n = g.size();
  TP_CHECK_T(ExportError, static_cast<int>(plan.offsets.size()) == n && static_cast<int>(plan.bytes.size()) == n,
             "memory plan covers ", plan.offsets.size(), " tensors, the graph has ", n);
  for (int t = 0; t < n; ++t) {
    const int64_t o = plan.offsets[static_cast<size_t>(t)];
    TP_CHECK_T(ExportError, o >= 0 && o % alignment == 0, "tensor \"", g.name(t), "\": offset ", o,
               " is not a multiple of ", alignment);
    TP_CHECK_T(ExportError, o + plan.bytes[static_cast<size_t>(t)] <= plan.arena_bytes, "tensor \"", g.name(t),
               "\" [", o, ", ", o + plan.bytes[static_cast<size_t>(t)], ") exceeds the arena of ", plan.arena_bytes,
               " bytes");
  }
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b) {
      const size_t ia = static_cast<size_t>(a), ib = static_cast<size_t>(b);
      if (!intersect(plan.first[ia], plan.last[ia], plan.first[ib], plan.last[ib])) continue;
      if (plan.shares_buffer_of[ib] == a || plan.shares_buffer_of[ia] == b) {
        TP_CHECK_T(ExportError, plan.offsets[ia] == plan.offsets[ib], "in-place tensor \"", g.name(b),
                   "\" must start at the offset of \"", g.name(a), "\"");
        continue;
      }
      const bool disjoint = plan.offsets[ia] + plan.bytes[ia] <= plan.offsets[ib] ||
                            plan.offsets[ib] + plan.bytes[ib] <= plan.offsets[ia];
      TP_CHECK_T(ExportError, disjoint, "memory plan: tensors \"", g.name(a), "\" [", plan.offsets[ia], ", ",
                 plan.offsets[ia] + plan.bytes[ia], ") and \"", g.name(b), "\" [", plan.offsets[ib], ", ",
                 plan.offsets[ib] + plan.bytes[ib], ") are alive at the same time but overlap");
    }
}

}  // namespace tinyprune
