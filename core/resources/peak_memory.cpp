#include "core/resources/peak_memory.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/logging.h"

namespace tinyprune {
namespace {

constexpr int kNever = -1;
constexpr int kForever = std::numeric_limits<int>::max();

// Step index of each tensor's last use in `order` (kForever for outputs, kNever if unused).
std::vector<int> last_uses(const TensorGraph& g, const std::vector<int>& order) {
  std::vector<int> last(static_cast<size_t>(g.size()), kNever);
  for (size_t k = 0; k < order.size(); ++k)
    for (int in : g.inputs(order[k])) last[static_cast<size_t>(in)] = static_cast<int>(k);
  for (int t : g.outputs()) last[static_cast<size_t>(t)] = kForever;
  return last;
}

}  // namespace

ScheduleMemory schedule_memory(const TensorGraph& g, const std::vector<int>& order, bool inplace_add) {
  const size_t n = static_cast<size_t>(g.size());
  std::vector<char> done(n, 0);
  for (int t = 0; t < g.size(); ++t)
    if (g.is_graph_input(t)) done[static_cast<size_t>(t)] = 1;
  for (int t : order) {
    TP_CHECK_T(ResourceError, t >= 0 && t < g.size(), "execution order names tensor id ", t, " out of range [0, ",
               g.size(), ")");
    TP_CHECK_T(ResourceError, !g.is_graph_input(t), "execution order lists graph input \"", g.name(t),
               "\"; inputs are not executed");
    TP_CHECK_T(ResourceError, !done[static_cast<size_t>(t)], "execution order runs \"", g.name(t), "\" twice");
    for (int in : g.inputs(t))
      TP_CHECK_T(ResourceError, done[static_cast<size_t>(in)], "execution order runs \"", g.name(t),
                 "\" before its input \"", g.name(in), "\"");
    done[static_cast<size_t>(t)] = 1;
  }
  for (int t : g.needed())
    TP_CHECK_T(ResourceError, done[static_cast<size_t>(t)], "execution order never runs \"", g.name(t),
               "\", which the output needs");

  const std::vector<int> last = last_uses(g, order);
  std::vector<char> resident(n, 0);
  for (int t = 0; t < g.size(); ++t)
    if (g.is_graph_input(t) && last[static_cast<size_t>(t)] != kNever) resident[static_cast<size_t>(t)] = 1;
  auto resident_bytes = [&] {
    double sum = 0;  // summed afresh each step: no drift with continuous sizes
    for (size_t t = 0; t < n; ++t)
      if (resident[t]) sum += g.bytes(static_cast<int>(t));
    return sum;
  };

  ScheduleMemory out;
  out.peak = resident_bytes();
  for (size_t t = 0; t < n; ++t)
    if (resident[t]) out.bottleneck.push_back(static_cast<int>(t));
  for (size_t k = 0; k < order.size(); ++k) {
    const int t = order[k];
    const int step = static_cast<int>(k);
    bool in_place = false;
    if (inplace_add && g.inplace(t))
      for (int in : g.inputs(t))
        if (last[static_cast<size_t>(in)] == step && g.bytes(t) <= g.bytes(in)) in_place = true;
    const double working = resident_bytes() + (in_place ? 0.0 : g.bytes(t));
    out.step_bytes.push_back(working);
    if (working > out.peak || out.peak_step < 0) {  // ties: the first step keeps the peak
      out.peak = std::max(out.peak, working);
      out.peak_step = step;
      out.bottleneck.clear();
      for (size_t u = 0; u < n; ++u)
        if (resident[u]) out.bottleneck.push_back(static_cast<int>(u));
      if (!in_place) out.bottleneck.insert(std::upper_bound(out.bottleneck.begin(), out.bottleneck.end(), t), t);
    }
    for (int in : g.inputs(t))
      if (last[static_cast<size_t>(in)] == step) resident[static_cast<size_t>(in)] = 0;
    if (last[static_cast<size_t>(t)] != kNever) resident[static_cast<size_t>(t)] = 1;
  }
  return out;
}

NaivePeakMemory naive_peak_memory(const TensorGraph& g) {
  NaivePeakMemory out;
  for (int t : g.needed()) {
    if (g.is_graph_input(t)) continue;
    double sum = g.bytes(t);
    for (int in : g.inputs(t)) sum += g.bytes(in);
    if (out.op < 0 || sum > out.peak) {
      out.peak = sum;
      out.op = t;
    }
  }
  if (out.op >= 0) {
    out.bottleneck = g.inputs(out.op);
    out.bottleneck.push_back(out.op);
    std::sort(out.bottleneck.begin(), out.bottleneck.end());
  }
  return out;
}

namespace {

// The memoised DP of Liberis & Lane over bitset states (see the header for the recurrence).
class MinPeakSolver {
 public:
  MinPeakSolver(const TensorGraph& g, const PeakMemoryOptions& options)
      : g_(g), n_(g.size()), words_(std::max(1, (g.size() + 63) / 64)), options_(options) {
    TP_CHECK_T(ResourceError, options.state_cap >= 1, "peak-memory DP state cap must be >= 1, got ",
               options.state_cap);
    descendants_.assign(static_cast<size_t>(n_ * words_), 0);
    input_sets_.assign(static_cast<size_t>(n_ * words_), 0);
    graph_inputs_.assign(static_cast<size_t>(words_), 0);
    // Descendants by a backward sweep over the topological ids.
    for (int t = n_ - 1; t >= 0; --t) {
      for (int c : g.consumers(t)) {
        set_bit(row(descendants_, t), c);
        for (int w = 0; w < words_; ++w) row(descendants_, t)[w] |= row(descendants_, c)[w];
      }
      for (int in : g.inputs(t)) set_bit(row(input_sets_, t), in);
      if (g.is_graph_input(t)) set_bit(graph_inputs_.data(), t);
    }
    scratch_.assign(static_cast<size_t>((n_ + 2) * words_), 0);  // depth <= #ops + 1
    slots_.assign(1024, -1);
  }

  OptimalSchedule solve() {
    OptimalSchedule out;
    uint64_t* start = frame(0);
    std::fill(start, start + words_, 0);
    double bytes = 0;
    for (int t : g_.outputs()) {
      set_bit(start, t);
      bytes += g_.bytes(t);
    }
    out.peak = mem(start, bytes, 0);
    out.states = static_cast<int64_t>(values_.size());
    out.order = read_order(start);
    return out;
  }

 private:
  static constexpr int kStart = -1;  // choice: nothing left to run (only graph inputs resident)

  uint64_t* row(std::vector<uint64_t>& v, int t) { return v.data() + static_cast<size_t>(t) * words_; }
  const uint64_t* row(const std::vector<uint64_t>& v, int t) const {
    return v.data() + static_cast<size_t>(t) * words_;
  }
  uint64_t* frame(int depth) { return scratch_.data() + static_cast<size_t>(depth) * words_; }
  static void set_bit(uint64_t* s, int t) { s[t >> 6] |= uint64_t{1} << (t & 63); }
  static void clear_bit(uint64_t* s, int t) { s[t >> 6] &= ~(uint64_t{1} << (t & 63)); }
  static bool test_bit(const uint64_t* s, int t) { return (s[t >> 6] >> (t & 63)) & 1; }

  uint64_t hash(const uint64_t* s) const {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int w = 0; w < words_; ++w) {
      uint64_t z = h ^ (s[w] + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(w + 1));
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;  // splitmix64 finaliser
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      h = z ^ (z >> 31);
    }
    return h;
  }

  // Index of the memoised state equal to `s`, or -1.
  int lookup(const uint64_t* s, uint64_t h) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const int e = slots_[i];
      if (e < 0) return -1;
      if (hashes_[static_cast<size_t>(e)] == h &&
          std::equal(s, s + words_, keys_.data() + static_cast<size_t>(e) * words_))
        return e;
    }
  }

  void insert(const uint64_t* s, uint64_t h, double value, int choice) {
    if (static_cast<int64_t>(values_.size()) >= options_.state_cap)
      throw PeakMemoryStateCapError(str_cat("exact peak-memory DP exceeded its state cap of ", options_.state_cap,
                                  " states on a graph of ", n_,
                                  " tensors (too many parallel branches); raise the cap "
                                  "(resources.dp_state_cap) or use the definition-order peak memory"));
    const int e = static_cast<int>(values_.size());
    keys_.insert(keys_.end(), s, s + words_);
    hashes_.push_back(h);
    values_.push_back(value);
    choices_.push_back(choice);
    if (values_.size() * 2 > slots_.size()) {
      slots_.assign(slots_.size() * 2, -1);
      for (size_t i = 0; i < values_.size(); ++i) place(static_cast<int>(i));
    } else {
      place(e);
    }
  }
  void place(int e) {
    const size_t mask = slots_.size() - 1;
    size_t i = hashes_[static_cast<size_t>(e)] & mask;
    while (slots_[i] >= 0) i = (i + 1) & mask;
    slots_[i] = e;
  }

  // mem(S) with S stored in frame(depth) and bytes(S) given; children use deeper frames.
  double mem(const uint64_t* s, double bytes, int depth) {
    const uint64_t h = hash(s);
    const int found = lookup(s, h);
    if (found >= 0) return values_[static_cast<size_t>(found)];

    // Graph inputs are never scheduled: they exist from the start. A state holding nothing else
    // is the start of the schedule (everything still needed is resident, nothing ran yet).
    bool only_inputs = true;
    for (int w = 0; w < words_; ++w) only_inputs &= (s[w] & ~graph_inputs_[static_cast<size_t>(w)]) == 0;
    if (only_inputs) {
      insert(s, h, bytes, kStart);
      return bytes;
    }

    uint64_t* child = frame(depth + 1);
    double best = std::numeric_limits<double>::infinity();
    int best_t = kStart;
    for_each_bit(s, [&](int t) {
      if (g_.is_graph_input(t)) return;  // resident since the start, not produced by any op
      // t's producer can only be last if no other tensor of S depends on t.
      const uint64_t* desc = row(descendants_, t);
      for (int w = 0; w < words_; ++w)
        if (s[w] & desc[w]) return;
      const uint64_t* ins = row(input_sets_, t);
      for (int w = 0; w < words_; ++w) child[w] = s[w] | ins[w];
      clear_bit(child, t);
      double before = bytes - g_.bytes(t);
      bool in_place = false;
      for (int in : g_.inputs(t)) {
        if (test_bit(s, in)) continue;  // still needed afterwards: already counted, cannot be reused
        before += g_.bytes(in);
        if (options_.inplace_add && g_.inplace(t) && g_.bytes(t) <= g_.bytes(in)) in_place = true;
      }
      const double working = in_place ? before : before + g_.bytes(t);
      if (options_.branch_and_bound && working >= best) return;  // cannot beat the best so far
      const double value = std::max(working, mem(child, before, depth + 1));
      if (value < best) {
        best = value;
        best_t = t;
      }
    });
    insert(s, h, best, best_t);
    return best;
  }

  template <typename F>
  void for_each_bit(const uint64_t* s, F&& f) const {
    for (int w = 0; w < words_; ++w)
      for (uint64_t bits = s[w]; bits != 0; bits &= bits - 1) f(w * 64 + __builtin_ctzll(bits));
  }

  std::vector<int> read_order(const uint64_t* start) {
    std::vector<uint64_t> s(start, start + words_);
    std::vector<int> reversed;
    for (;;) {
      const int e = lookup(s.data(), hash(s.data()));
      TP_CHECK_T(ResourceError, e >= 0, "internal error: peak-memory DP lost a state while reading the order");
      const int choice = choices_[static_cast<size_t>(e)];
      if (choice == kStart) break;
      reversed.push_back(choice);
      const uint64_t* ins = row(input_sets_, choice);
      for (int w = 0; w < words_; ++w) s[static_cast<size_t>(w)] |= ins[w];
      clear_bit(s.data(), choice);
    }
    return {reversed.rbegin(), reversed.rend()};
  }

  const TensorGraph& g_;
  const int n_;
  const int words_;
  const PeakMemoryOptions options_;
  std::vector<uint64_t> descendants_;   // n x words: strict descendants of each tensor
  std::vector<uint64_t> input_sets_;    // n x words: the producer's input tensors
  std::vector<uint64_t> graph_inputs_;  // words
  std::vector<uint64_t> scratch_;       // one state per recursion depth
  // Memo: open addressing over entries stored column-wise.
  std::vector<int> slots_;
  std::vector<uint64_t> keys_;
  std::vector<uint64_t> hashes_;
  std::vector<double> values_;
  std::vector<int> choices_;
};

}  // namespace

OptimalSchedule min_peak_memory(const TensorGraph& g, const PeakMemoryOptions& options) {
  MinPeakSolver solver(g, options);
  return solver.solve();
}

PeakMemoryResult peak_memory(const TensorGraph& g, const PeakMemoryOptions& options) {
  PeakMemoryResult out;
  try {
    OptimalSchedule best = min_peak_memory(g, options);
    out.order = std::move(best.order);
    out.states = best.states;
    out.memory = schedule_memory(g, out.order, options.inplace_add);
    // The replay is the ground truth for the order; the DP must agree with it.
    const double tolerance = 1e-9 * std::max(1.0, best.peak);
    TP_CHECK_T(ResourceError, std::abs(out.memory.peak - best.peak) <= tolerance,
               "internal error: peak-memory DP value ", best.peak, " differs from the replay of its order ",
               out.memory.peak);
    out.peak = best.peak;
  } catch (const PeakMemoryStateCapError& e) {
    if (!options.fallback_to_default_order) throw;
    out.exact = false;
    out.states = 0;
    out.fallback_reason = e.what();
    out.order = g.default_order();
    out.memory = schedule_memory(g, out.order, options.inplace_add);
    out.peak = out.memory.peak;
    get_logger("resources")->warn("peak_memory fallback=default_order reason=\"{}\" peak_bytes={}", out.fallback_reason,
                                  out.peak);
  }
  return out;
}

}  // namespace tinyprune
