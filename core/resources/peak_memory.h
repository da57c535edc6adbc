// Peak memory usage (PMU) of a TensorGraph: fixed schedules, the exact minimum over all execution
// orders, and the imprecise per-operator under-approximation (algorithms.md 3.1-3.4).
//
// Execution model (TFLM-style, algorithms.md 3.1): operators run one at a time, each in full. While
// an operator runs, memory holds its inputs, its output and every earlier tensor a later operator
// (or the network output) still needs; a tensor is freed right after its last consumer. Graph
// inputs count. With in-place accumulation, an operator flagged `inplace` whose input dies at this
// step and is at least as large as the output writes into that input's buffer (no extra buffer).
// All sizes are bytes.
//
// Exact minimum (Liberis & Lane 2020), overview:
//   * mem(S) = the smallest peak of any schedule ending with exactly the tensor set S resident;
//     the answer is mem(outputs);
//   * graph inputs are never scheduled: a state holding only graph inputs is the start, mem = its
//     bytes. (algorithms.md 3.3 / check_pmu.py instead return bytes(inputs) + mem(S \ inputs),
//     which counts an input twice when a later op still reads it -- a skip from the input.)
//   * otherwise guess the last operator: the producer of some non-input t in S that no other
//     tensor of S depends on; before it ran, S' = (S \ {t}) + inputs(t) was resident, and while it ran
//     bytes(S') + bytes(t) (or bytes(S') if it accumulated in place);
//     mem(S) = min over t of max(mem(S'), working set);
//   * states are bitsets over tensor ids (fixed words, hashed); descendant sets are precomputed so
//     the "no other tensor depends on t" test is a word-wise AND; candidates whose own working set
//     already reaches the best value found are skipped (exact branch-and-bound);
//   * the argmin per state is kept, so the optimal order is read back from mem(outputs);
//   * the number of memoised states is capped (PeakMemoryOptions::state_cap): exceeding it throws
//     ResourceError. `peak_memory()` catches that and falls back to the definition order.
// The number of states grows with the graph's width: a chain needs ~n states; k independent
// branches of length n need O(n^k) (see bench/resources/README.md for measurements).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/resources/tensor_graph.h"

namespace tinyprune {

// Thrown by min_peak_memory() when the DP would memoise more than PeakMemoryOptions::state_cap
// states; peak_memory() turns it into the definition-order fallback.
class PeakMemoryStateCapError : public ResourceError {
 public:
  using ResourceError::ResourceError;
};

struct PeakMemoryOptions {
  bool inplace_add = false;       // honour TensorGraph::inplace flags
  int64_t state_cap = 1000000;    // max memoised DP states before ResourceError (>= 1)
  bool fallback_to_default_order = true;  // peak_memory(): use the definition order past the cap
  bool branch_and_bound = true;   // false: expand every candidate (same result; measures the raw
                                  // state space, e.g. in bench/resources)
};

// Memory of one fixed schedule.
struct ScheduleMemory {
  double peak = 0;                 // bytes
  int peak_step = -1;              // index into the order of the first step reaching the peak;
                                   // -1 when the graph has no operator (peak = resident inputs)
  std::vector<double> step_bytes;  // working set while order[k] runs
  std::vector<int> bottleneck;     // tensors resident at the peak step, ascending (the tensors
                                   // whose sizes sum to `peak`; an in-place output is represented
                                   // by the input buffer it overwrites)
};

// Replays `order` (non-input tensor ids; must be a valid topological order containing every
// tensor an output needs; unneeded tensors may be included and are freed right after they are
// produced). Throws ResourceError for an invalid order, naming the offending tensor.
ScheduleMemory schedule_memory(const TensorGraph& g, const std::vector<int>& order, bool inplace_add = false);

// MicroNets/SpArSe under-approximation: max over operators of bytes(inputs) + bytes(output).
// Ignores tensors kept alive across branches (so it under-estimates on branched graphs) and
// in-place accumulation. Ablation baseline only.
struct NaivePeakMemory {
  double peak = 0;
  int op = -1;                  // the arg-max operator (tensor id); -1 if there is none
  std::vector<int> bottleneck;  // its inputs and output, ascending
};
NaivePeakMemory naive_peak_memory(const TensorGraph& g);

// The exact minimum over all valid execution orders. Throws PeakMemoryStateCapError (a
// ResourceError) when more than options.state_cap states would be memoised.
struct OptimalSchedule {
  double peak = 0;
  std::vector<int> order;  // non-input tensor ids attaining `peak` (only tensors the outputs need)
  int64_t states = 0;      // memoised DP states
};
OptimalSchedule min_peak_memory(const TensorGraph& g, const PeakMemoryOptions& options = {});

// Exact PMU with the documented fallback: when the DP exceeds its state cap and
// options.fallback_to_default_order is set, returns the definition order's PMU with exact=false
// and the reason (and logs a warning on the "resources" logger); otherwise rethrows.
struct PeakMemoryResult {
  double peak = 0;
  std::vector<int> order;   // the schedule whose memory is reported
  ScheduleMemory memory;    // replay of `order` (step bytes, bottleneck)
  bool exact = true;        // false: fell back to the definition order
  int64_t states = 0;       // DP states used (0 after a fallback)
  std::string fallback_reason;
};
PeakMemoryResult peak_memory(const TensorGraph& g, const PeakMemoryOptions& options = {});

}  // namespace tinyprune
