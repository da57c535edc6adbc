// DtmmScheduler: DTMM's pruning-strategy scheduler (algorithms.md 1.5): chooses, per prunable
// conv l, the filterlet fraction alpha_l and, per channel group g, the filter fraction beta_g that
// minimise the predicted latency subject to
//   * flash:  deployed_cost().flash_bytes (the exporter's weight records: FWCS or dense values,
//             index arrays, bias, multiplier, shift; schedulers/deployed_cost.h) <= budget,
//   * SRAM:   the exact minimal peak memory (ResourceModel, over execution orders) at the widths
//             left by filter pruning <= budget,
//   * MACs:   executed MACs (FWCS skips pruned filterlets) <= budget (optional),
//   * importance bound (DTMM's `acc`): a unit may only be pruned if its importance <= bound, i.e.
//     beta_g <= fraction of g's filters with score <= bound (and <= max_beta), alpha_l + beta_g <=
//     fraction of l's filterlets with score <= bound (and <= max_alpha). Filters are compared per
//     filterlet by default (filter_bound_per_filterlet).
// Filter pruning acts on channel groups (core/resources/channel_groups.h), so residual-coupled
// convs share one beta (DTMM's Add alignment, 1.5.2, by construction); 1x1 and depthwise convs
// have no alpha (DTMM's align() folds 1x1 alpha into beta).
//
// Counting (also used by mask construction, pruners/filterlet/): a group removes
// nF = min(round(beta*C), C-1) filters; a conv with K = KH*KW > 1 removes
// nE = min(round(alpha*K*Cout), (K-1)*Cout') filterlets of its Cout' surviving filters (each
// surviving filter keeps at least its best filterlet), keeping K*Cout' - nE.
//
// Search (1.5.5), deterministic for a seed:
//   - bound: `importance_bound` as given (DTMM: one threshold for filter and filterlet scores), or
//     (NaN = auto, [CHOICE]) the smallest thresholds that still let the budgets be reached with
//     every bound saturated: first a filter bound from the SRAM budget alone, applied only to the
//     groups that hold the peak (only their filters lower it; the set grows with the groups
//     that become the peak as those shrink; none without an SRAM budget), then the filterlet
//     bound from every budget, under which every group's filters may go too (DTMM's shared
//     threshold); both times `importance_slack`. One shared auto threshold would, to free the
//     few filters the SRAM budget needs, free nearly every filterlet and filter (a filter's
//     score sums K*Cin terms, a filterlet's Cin), and the latency objective would prune them all;
//   - infeasible budgets (even the most pruned state the bounds and caps allow misses a budget)
//     throw InfeasibleBudgetError naming each resource, its minimum and its budget;
//   - simulated annealing from the lower bound (0, or the previous round's state), objective
//     +inf: each move adds U(-step, step) to every free coordinate, projects onto the bounds and
//     repairs (1.5.4): SRAM first (raise beta of groups resident at the PMU peak), then flash/MACs
//     (raise every beta, then every alpha, by <= repair_step); a candidate that cannot be repaired
//     within the bounds (or max_repair_steps) is rejected; Metropolis acceptance; best tracked;
//     T *= cooling per level of moves_per_temperature moves; at most max_iterations candidates;
//   - the objective is latency / dense latency (KernelCostModel), plus importance_weight times the
//     removed importance fraction. Temperatures t0/t_end are in these units (dense model = 1);
//     `reference_temperatures` uses DTMM's T0 = 100, T_end = 20 (accepts almost every move).
//   The most pruned state (feasible by the check above) seeds `best`, so a run always returns a
//   feasible strategy.
//
// Usage:
//   DtmmScheduler s(resource_model, layers, groups, KernelCostModel::m55_mve());
//   DtmmBudget b;  b.flash_bytes = 64 * 1024;  b.sram_bytes = 48 * 1024;
//   DtmmResult r = s.solve(b, DtmmOptions{});   // r.state.alpha / beta, r.eval.flash_bytes, ...
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/resources/resource_model.h"
#include "schedulers/kernel_cost_model.h"

namespace tinyprune {

// The budgets cannot be met within the importance bound and the pruning caps.
class InfeasibleBudgetError : public Error {
 public:
  using Error::Error;
};

// One standard (groups 1) conv whose filterlets the scheduler may prune.
struct DtmmLayer {
  int node = 0;                          // conv node id in the ResourceModel's graph
  std::vector<double> filterlet_scores;  // Cout*KH*KW importances (any order; only their
                                         // distribution matters for the bound), >= 0
};

// One prunable channel group whose filters the scheduler may remove.
struct DtmmGroup {
  int group = 0;                         // ChannelGroups id
  std::vector<double> filter_scores;     // [C_g] group filter importances, >= 0
  double filterlets_per_filter = 1.0;    // filterlets one channel of the group spans (sum of its
                                         // producers' KH*KW); see DtmmOptions::filter_bound_per_filterlet
};

struct DtmmBudget {
  std::optional<int64_t> flash_bytes;
  std::optional<int64_t> sram_bytes;
  std::optional<int64_t> macs;
  bool empty() const { return !flash_bytes && !sram_bytes && !macs; }
};

struct DtmmOptions {
  double importance_bound = std::numeric_limits<double>::quiet_NaN();  // NaN = auto
  // true [CHOICE]: a filter meets a bound t when score / filterlets_per_filter <= t (its
  // importance per filterlet), so one bound ranks filters and filterlets alike; false: DTMM's raw
  // comparison score <= t, under which a filter (the sum of K filterlets' scores) hardly ever goes.
  bool filter_bound_per_filterlet = true;
  double importance_slack = 1.0;       // >= 1; auto bound multiplier
  double importance_weight = 0.0;      // >= 0
  double max_beta = 0.8;               // [0, 1): filters of a group
  double max_alpha = 0.95;             // [0, 1]: filterlets of a layer, pruned filters included
  bool reference_temperatures = false;
  double t0 = 0.05, t_end = 1e-4;      // t0 > t_end > 0
  double cooling = 0.9;                // (0, 1)
  int64_t moves_per_temperature = 100;
  double step = 0.05;                  // (0, 1]
  int64_t max_iterations = 6000;       // candidates evaluated, >= 0
  int64_t max_repair_steps = 1000;
  double repair_step = 0.05;
  uint64_t seed = 0;
};

struct DtmmState {
  Eigen::VectorXd alpha;  // per layer (problem order)
  Eigen::VectorXd beta;   // per group (problem order)
};

struct DtmmEvaluation {
  std::vector<int64_t> widths;              // per channel group of the graph (all groups)
  std::vector<int64_t> removed_filters;     // per problem group
  std::vector<int64_t> kept_filterlets;     // per layer
  std::vector<int64_t> removed_filterlets;  // per layer, in surviving filters
  int64_t flash_bytes = 0;
  int64_t sram_bytes = 0;
  int64_t executed_macs = 0;
  double latency = 0;                       // KernelCostModel units
  double removed_importance = 0;            // fraction of the total importance, approximate
  double objective = 0;
  std::vector<int> bottleneck_groups;       // problem groups resident at the PMU peak
};

struct DtmmResult {
  DtmmState state;
  DtmmEvaluation eval;
  DtmmEvaluation dense;          // the unpruned model (lower bound state when given)
  double importance_bound = 0;         // the filterlet bound in effect
  double filter_importance_bound = 0;  // the largest filter bound in effect (== importance_bound
                                       // unless auto)
  std::vector<double> filter_bounds;   // per problem group
  double dense_latency = 0;
  int64_t iterations = 0, accepted = 0, rejected = 0, feasible = 0;
  bool from_annealing = true;    // false: no annealed candidate beat the most pruned state
  double seconds = 0;
};

// nF = min(round(beta*C), C-1), >= 0.
int64_t filters_to_remove(double beta, int64_t channels);
// nE = min(round(alpha*taps*cout), (taps-1)*kept_filters); 0 when taps == 1.
int64_t filterlets_to_remove(double alpha, int64_t cout, int64_t taps, int64_t kept_filters);

class DtmmScheduler {
 public:
  // `rm` must outlive the scheduler. Layers must be standard convs (groups 1, KH*KW > 1) and
  // groups prunable, with score vectors of the right lengths (Error otherwise).
  DtmmScheduler(const ResourceModel& rm, std::vector<DtmmLayer> layers, std::vector<DtmmGroup> groups,
                KernelCostModel cost);

  const std::vector<DtmmLayer>& layers() const { return layers_; }
  const std::vector<DtmmGroup>& groups() const { return groups_; }
  // Problem group index of layer l's output channels, or -1 when its group is not in the problem.
  int layer_group(size_t l) const { return layer_group_[l]; }

  DtmmState zero_state() const;
  // Not thread-safe (caches PMU results per width vector).
  DtmmEvaluation evaluate(const DtmmState& s, double importance_weight = 0.0) const;
  // Saturated pruning fractions at filterlet bound tau and filter bound tau_filter (ub), never
  // below `lower`.
  DtmmState upper_bounds(double tau, double tau_filter, const DtmmOptions& o, const DtmmState& lower) const;
  // The same with one filter bound per problem group.
  DtmmState upper_bounds(double tau, const std::vector<double>& tau_filter, const DtmmOptions& o,
                         const DtmmState& lower) const;
  // The most pruned state within ub.
  DtmmState most_pruned(const DtmmState& ub, const DtmmState& lower) const;
  bool meets(const DtmmEvaluation& e, const DtmmBudget& b) const;

  // Throws InfeasibleBudgetError (see the class comment), Error for invalid options.
  DtmmResult solve(const DtmmBudget& budget, const DtmmOptions& options, const DtmmState* lower = nullptr) const;

 private:
  void project(DtmmState& s, const DtmmState& lower, const DtmmState& ub) const;
  bool repair(DtmmState& s, const DtmmState& lower, const DtmmState& ub, const DtmmBudget& b, const DtmmOptions& o,
              DtmmEvaluation* ev) const;
  std::string shortfall(const DtmmEvaluation& e, const DtmmBudget& b) const;

  struct Pmu {
    int64_t bytes = 0;
    std::vector<int> bottleneck_groups;
  };
  const Pmu& pmu(const std::vector<int64_t>& widths) const;

  const ResourceModel& rm_;
  std::vector<DtmmLayer> layers_;
  std::vector<DtmmGroup> groups_;
  KernelCostModel cost_;
  std::vector<int> layer_group_;
  std::vector<int64_t> layer_cout_, layer_taps_;
  std::vector<std::vector<double>> sorted_filter_, sorted_filterlet_;  // scores, ascending
  std::vector<std::vector<double>> filter_prefix_, filterlet_prefix_;  // prefix sums of those
  double total_importance_ = 0;
  double dense_latency_ = 0;
  mutable std::map<std::vector<int64_t>, Pmu> pmu_cache_;
};

}  // namespace tinyprune
