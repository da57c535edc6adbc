// The memory plan: arena offsets of the deployed activation tensors for one execution order.
//
// Input: the ResourceModel's TensorGraph (tensor id == DeployedGraph op id, bytes at int8) and the
// execution order chosen by the exact-PMU solver (ResourceReport::execution_order). The plan is
// what the runtime validates (FORMAT.md 10): a tensor written by step k must not overlap any tensor
// that is defined and still needed at step k.
//
// Lifetimes (the same execution model as core/resources/peak_memory.h, so arena >= that order's
// PMU by construction): a tensor lives from the step that writes it (graph inputs: from before the
// first step) through the last step that reads it; graph outputs live to the end. Two tensors
// conflict iff their lifetimes intersect (an op's output conflicts with its inputs).
//
// In-place Add (when enabled, as ResourceOptions::inplace_add): an Add flagged in-place in the
// TensorGraph whose summand dies at that step and is at least as large shares that summand's
// buffer (same offset; the runtime allows exactly that for ADD).
//
// Planner (greedy placement over lifetime conflicts, the classic offline strategies; O(n^2) each):
//   * group tensors into buffers (one per tensor, or an Add merged with the summand it overwrites);
//     a buffer's lifetime is the union of its tensors', its size the largest;
//   * place the buffers one by one in a fixed order; a buffer only has to avoid the already placed
//     buffers whose lifetimes intersect its own ("conflicts"); the free gaps between conflicts,
//     in offset order, are the candidate places (offsets rounded up to `alignment`):
//       first fit = the lowest gap that holds it, best fit = the smallest gap that holds it
//       (the space above every conflict counts as unbounded);
//   * orders tried: size descending (then start step), start step (then size descending),
//     size x lifetime descending; each with first fit and best fit: 6 plans, the smallest arena
//     wins (earlier strategies win ties; the winner's name is MemoryPlan::strategy);
//   * arena = max(offset + size). It can exceed the exact PMU through fragmentation (never fall
//     below it: buffers live at the same step are disjoint); both are reported.
//     check_memory_plan() re-verifies every pair independently of the planner.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/resources/tensor_graph.h"

namespace tinyprune {

struct MemoryPlanOptions {
  int64_t alignment = 16;    // offsets are multiples of this (the runtime needs 4; 16 suits SIMD)
  bool inplace_add = false;  // honour TensorGraph::inplace flags (as the PMU model did)
};

struct MemoryPlan {
  std::vector<int> order;           // executed tensor ids (graph inputs excluded)
  std::vector<int64_t> bytes;       // per tensor id
  std::vector<int64_t> offsets;     // per tensor id, multiples of `alignment`
  std::vector<int> first, last;     // lifetime in steps: first = -1 for inputs, last = order.size()
                                    // for outputs (inclusive interval)
  std::vector<int> shares_buffer_of;  // in-place Add: the summand whose bytes it reuses, else -1
  int64_t arena_bytes = 0;          // max(offset + bytes)
  int64_t order_peak_bytes = 0;     // max over steps of the live bytes (= the order's PMU)
  std::string strategy;             // the placement that won ("size/first-fit", ...)
};

// Plans `g` for `order` (a valid topological order of every needed non-input tensor, e.g. the
// exact-PMU order). Throws ExportError for an invalid order.
MemoryPlan plan_memory(const TensorGraph& g, const std::vector<int>& order, const MemoryPlanOptions& options = {});

// `plan` with every tensor moved to its own region (offsets ascending by tensor id, no in-place
// sharing). Wasteful, but every intermediate tensor is still readable after tpr_invoke() (tests,
// debugging a layer). Same order and lifetimes.
MemoryPlan without_reuse(MemoryPlan plan, int64_t alignment = 16);

// Throws ExportError if two tensors with intersecting lifetimes overlap in the arena (except an
// in-place Add and the summand it reuses at the same offset), if an offset is misaligned or a
// tensor exceeds the arena. Names both tensors.
void check_memory_plan(const TensorGraph& g, const MemoryPlan& plan, int64_t alignment = 4);

}  // namespace tinyprune
