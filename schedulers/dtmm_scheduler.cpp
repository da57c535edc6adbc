#include "schedulers/dtmm_scheduler.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <cmath>
#include <numeric>
#include <random>

#include "schedulers/deployed_cost.h"

namespace tinyprune {
namespace {

// Counts below this are float noise of fractions such as 0.3*10.
constexpr double kRoundSlack = 1e-9;
// DTMM's "margin > 1e-4" test for whether a coordinate can still be raised.
constexpr double kMargin = 1e-4;

std::vector<double> sorted_copy(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<double> prefix_sums(const std::vector<double>& sorted) {
  std::vector<double> p(sorted.size() + 1, 0.0);
  for (size_t i = 0; i < sorted.size(); ++i) p[i + 1] = p[i] + sorted[i];
  return p;
}

// Fraction of entries <= tau in an ascending vector.
double fraction_at_most(const std::vector<double>& sorted, double tau) {
  if (sorted.empty()) return 0.0;
  const auto n = std::upper_bound(sorted.begin(), sorted.end(), tau) - sorted.begin();
  return static_cast<double>(n) / static_cast<double>(sorted.size());
}

std::string kib(int64_t bytes) { return str_cat(bytes, " B (", std::round(bytes / 102.4) / 10.0, " KB)"); }

}  // namespace

int64_t filters_to_remove(double beta, int64_t channels) {
  if (channels <= 1 || !(beta > 0.0)) return 0;
  const auto n = static_cast<int64_t>(std::llround(beta * static_cast<double>(channels) + kRoundSlack));
  return std::clamp<int64_t>(n, 0, channels - 1);
}

int64_t filterlets_to_remove(double alpha, int64_t cout, int64_t taps, int64_t kept_filters) {
  if (taps <= 1 || !(alpha > 0.0)) return 0;
  const auto n = static_cast<int64_t>(std::llround(alpha * static_cast<double>(cout * taps) + kRoundSlack));
  return std::clamp<int64_t>(n, 0, (taps - 1) * kept_filters);
}

DtmmScheduler::DtmmScheduler(const ResourceModel& rm, std::vector<DtmmLayer> layers, std::vector<DtmmGroup> groups,
                             KernelCostModel cost)
    : rm_(rm), layers_(std::move(layers)), groups_(std::move(groups)), cost_(std::move(cost)) {
  const Graph& g = rm_.graph();
  const ChannelGroups& cg = rm_.groups();
  std::map<int, int> index_of_group;
  for (size_t i = 0; i < groups_.size(); ++i) {
    const DtmmGroup& dg = groups_[i];
    TP_CHECK(dg.filterlets_per_filter > 0, "DTMM scheduler: filterlets_per_filter must be > 0");
    TP_CHECK(dg.group >= 0 && dg.group < cg.size(), "DTMM scheduler: channel group ", dg.group, " does not exist");
    const ChannelGroup& group = cg.group(dg.group);
    TP_CHECK(group.prunable, "DTMM scheduler: channel group \"", group.name, "\" is not prunable (",
             group.fixed_reason, ")");
    TP_CHECK(static_cast<int64_t>(dg.filter_scores.size()) == group.channels, "DTMM scheduler: group \"",
             group.name, "\" has ", group.channels, " channels but ", dg.filter_scores.size(), " filter scores");
    TP_CHECK(index_of_group.emplace(dg.group, static_cast<int>(i)).second, "DTMM scheduler: group \"", group.name,
             "\" listed twice");
    sorted_filter_.push_back(sorted_copy(dg.filter_scores));
    filter_prefix_.push_back(prefix_sums(sorted_filter_.back()));
    total_importance_ += filter_prefix_.back().back();
  }
  for (const DtmmLayer& l : layers_) {
    TP_CHECK(l.node >= 0 && l.node < g.size() && g.node(l.node).kind == OpKind::kConv2d,
             "DTMM scheduler: node ", l.node, " is not a conv");
    const Node& n = g.node(l.node);
    TP_CHECK(n.groups == 1 && n.kernel_h * n.kernel_w > 1, "DTMM scheduler: conv \"", n.name,
             "\" cannot be filterlet-pruned (needs groups 1 and a kernel larger than 1x1)");
    const int64_t taps = n.kernel_h * n.kernel_w;
    TP_CHECK(static_cast<int64_t>(l.filterlet_scores.size()) == n.out_channels * taps, "DTMM scheduler: conv \"",
             n.name, "\" has ", n.out_channels * taps, " filterlets but ", l.filterlet_scores.size(), " scores");
    auto it = index_of_group.find(cg.group_of(l.node));
    layer_group_.push_back(it == index_of_group.end() ? -1 : it->second);
    layer_cout_.push_back(n.out_channels);
    layer_taps_.push_back(taps);
    sorted_filterlet_.push_back(sorted_copy(l.filterlet_scores));
    filterlet_prefix_.push_back(prefix_sums(sorted_filterlet_.back()));
    total_importance_ += filterlet_prefix_.back().back();
  }
  dense_latency_ = 1.0;  // evaluate() divides by it
  dense_latency_ = std::max(evaluate(zero_state()).latency, 1e-12);
}

DtmmState DtmmScheduler::zero_state() const {
  DtmmState s;
  s.alpha = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(layers_.size()));
  s.beta = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(groups_.size()));
  return s;
}

const DtmmScheduler::Pmu& DtmmScheduler::pmu(const std::vector<int64_t>& widths) const {
  auto it = pmu_cache_.find(widths);
  if (it != pmu_cache_.end()) return it->second;
  const ResourceReport r = rm_.evaluate(widths);
  Pmu p;
  p.bytes = r.peak_memory_bytes;
  std::map<int, int> group_of_op;
  for (const LayerResources& l : r.layers) group_of_op[l.op] = l.group;
  for (int op : r.bottleneck) {
    auto g = group_of_op.find(op);
    if (g == group_of_op.end()) continue;
    for (size_t i = 0; i < groups_.size(); ++i)
      if (groups_[i].group == g->second &&
          std::find(p.bottleneck_groups.begin(), p.bottleneck_groups.end(), static_cast<int>(i)) ==
              p.bottleneck_groups.end())
        p.bottleneck_groups.push_back(static_cast<int>(i));
  }
  std::sort(p.bottleneck_groups.begin(), p.bottleneck_groups.end());
  return pmu_cache_.emplace(widths, std::move(p)).first->second;
}

DtmmEvaluation DtmmScheduler::evaluate(const DtmmState& s, double importance_weight) const {
  const ChannelGroups& cg = rm_.groups();
  DtmmEvaluation e;
  e.widths = cg.original_widths();
  double removed = 0.0;
  for (size_t i = 0; i < groups_.size(); ++i) {
    const int g = groups_[i].group;
    const int64_t n = filters_to_remove(s.beta[static_cast<Eigen::Index>(i)], e.widths[static_cast<size_t>(g)]);
    e.removed_filters.push_back(n);
    e.widths[static_cast<size_t>(g)] -= n;
    removed += filter_prefix_[i][static_cast<size_t>(n)];
  }
  std::map<int, int64_t> kept;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const int64_t filters = cg.channels(layers_[l].node, e.widths);
    const int64_t n = filterlets_to_remove(s.alpha[static_cast<Eigen::Index>(l)], layer_cout_[l], layer_taps_[l], filters);
    e.removed_filterlets.push_back(n);
    e.kept_filterlets.push_back(layer_taps_[l] * filters - n);
    kept[layers_[l].node] = e.kept_filterlets.back();
    removed += filterlet_prefix_[l][static_cast<size_t>(n)];
  }
  const DeployedCost c = deployed_cost(rm_, e.widths, kept, cost_);
  e.flash_bytes = c.flash_bytes;
  e.executed_macs = c.executed_macs;
  e.latency = c.latency;
  const Pmu& p = pmu(e.widths);
  e.sram_bytes = p.bytes;
  e.bottleneck_groups = p.bottleneck_groups;
  e.removed_importance = total_importance_ > 0 ? removed / total_importance_ : 0.0;
  e.objective = e.latency / dense_latency_ + importance_weight * e.removed_importance;
  return e;
}

DtmmState DtmmScheduler::upper_bounds(double tau, double tau_filter, const DtmmOptions& o,
                                      const DtmmState& lower) const {
  return upper_bounds(tau, std::vector<double>(groups_.size(), tau_filter), o, lower);
}

DtmmState DtmmScheduler::upper_bounds(double tau, const std::vector<double>& tau_filter, const DtmmOptions& o,
                                      const DtmmState& lower) const {
  DtmmState ub = zero_state();
  for (size_t i = 0; i < groups_.size(); ++i) {
    const auto k = static_cast<Eigen::Index>(i);
    const double scale = o.filter_bound_per_filterlet ? groups_[i].filterlets_per_filter : 1.0;
    ub.beta[k] = std::max(lower.beta[k], std::min(o.max_beta, fraction_at_most(sorted_filter_[i], tau_filter[i] * scale)));
  }
  for (size_t l = 0; l < layers_.size(); ++l) {
    const auto k = static_cast<Eigen::Index>(l);
    ub.alpha[k] = std::max(lower.alpha[k], std::min(o.max_alpha, fraction_at_most(sorted_filterlet_[l], tau)));
  }
  return ub;
}

DtmmState DtmmScheduler::most_pruned(const DtmmState& ub, const DtmmState& lower) const {
  DtmmState s = zero_state();
  s.beta = ub.beta;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const auto k = static_cast<Eigen::Index>(l);
    const double beta = layer_group_[l] >= 0 ? s.beta[layer_group_[l]] : 0.0;
    s.alpha[k] = std::max(lower.alpha[k], ub.alpha[k] - beta);
  }
  return s;
}

void DtmmScheduler::project(DtmmState& s, const DtmmState& lower, const DtmmState& ub) const {
  s.beta = s.beta.cwiseMax(lower.beta).cwiseMin(ub.beta);
  for (size_t l = 0; l < layers_.size(); ++l) {
    const auto k = static_cast<Eigen::Index>(l);
    const double beta = layer_group_[l] >= 0 ? s.beta[layer_group_[l]] : 0.0;
    s.alpha[k] = std::clamp(s.alpha[k], lower.alpha[k], std::max(lower.alpha[k], ub.alpha[k] - beta));
  }
}

bool DtmmScheduler::meets(const DtmmEvaluation& e, const DtmmBudget& b) const {
  return (!b.flash_bytes || e.flash_bytes <= *b.flash_bytes) && (!b.sram_bytes || e.sram_bytes <= *b.sram_bytes) &&
         (!b.macs || e.executed_macs <= *b.macs);
}

bool DtmmScheduler::repair(DtmmState& s, const DtmmState& lower, const DtmmState& ub, const DtmmBudget& b,
                           const DtmmOptions& o, DtmmEvaluation* ev) const {
  for (int64_t it = 0; it <= o.max_repair_steps; ++it) {
    *ev = evaluate(s, o.importance_weight);
    if (meets(*ev, b)) return true;
    if (it == o.max_repair_steps) break;
    bool raised = false;
    if (b.sram_bytes && ev->sram_bytes > *b.sram_bytes) {
      // Only the groups resident at the peak step can lower the peak.
      for (int i : ev->bottleneck_groups) {
        const double margin = ub.beta[i] - s.beta[i];
        if (margin > kMargin) {
          s.beta[i] += std::min(o.repair_step, margin);
          raised = true;
        }
      }
      if (!raised) return false;
      project(s, lower, ub);
      continue;
    }
    for (Eigen::Index i = 0; i < s.beta.size(); ++i) {
      const double margin = ub.beta[i] - s.beta[i];
      if (margin > kMargin) {
        s.beta[i] += std::min(o.repair_step, margin);
        raised = true;
      }
    }
    project(s, lower, ub);  // alpha <= alpha_bound - beta after the betas moved
    for (size_t l = 0; l < layers_.size(); ++l) {
      const auto k = static_cast<Eigen::Index>(l);
      const double beta = layer_group_[l] >= 0 ? s.beta[layer_group_[l]] : 0.0;
      const double margin = ub.alpha[k] - beta - s.alpha[k];
      if (margin > kMargin) {
        s.alpha[k] += std::min(o.repair_step, margin);
        raised = true;
      }
    }
    if (!raised) return false;
  }
  return false;
}

std::string DtmmScheduler::shortfall(const DtmmEvaluation& e, const DtmmBudget& b) const {
  std::string out;
  auto add = [&](const char* what, int64_t value, const std::optional<int64_t>& limit, bool bytes) {
    if (!limit) return;
    if (!out.empty()) out += "; ";
    out += str_cat(what, " ", bytes ? kib(value) : std::to_string(value), value > *limit ? " > " : " <= ", "budget ",
                   bytes ? kib(*limit) : std::to_string(*limit));
  };
  add("flash (FWCS/dense weights + bias + quantization parameters)", e.flash_bytes, b.flash_bytes, true);
  add("peak memory (exact)", e.sram_bytes, b.sram_bytes, true);
  add("executed MACs", e.executed_macs, b.macs, false);
  return out;
}

DtmmResult DtmmScheduler::solve(const DtmmBudget& budget, const DtmmOptions& o, const DtmmState* lower_in) const {
  TP_CHECK(o.max_beta >= 0 && o.max_beta < 1, "DTMM scheduler: max_beta must be in [0, 1), got ", o.max_beta);
  TP_CHECK(o.max_alpha >= 0 && o.max_alpha <= 1, "DTMM scheduler: max_alpha must be in [0, 1], got ", o.max_alpha);
  TP_CHECK(o.importance_slack >= 1, "DTMM scheduler: importance_slack must be >= 1, got ", o.importance_slack);
  TP_CHECK(o.importance_weight >= 0, "DTMM scheduler: importance_weight must be >= 0");
  TP_CHECK(o.cooling > 0 && o.cooling < 1, "DTMM scheduler: cooling must be in (0, 1), got ", o.cooling);
  TP_CHECK(o.t0 > o.t_end && o.t_end > 0, "DTMM scheduler: need t0 > t_end > 0, got ", o.t0, ", ", o.t_end);
  TP_CHECK(o.step > 0 && o.step <= 1 && o.repair_step > 0, "DTMM scheduler: step and repair_step must be > 0");
  TP_CHECK(o.moves_per_temperature >= 1 && o.max_iterations >= 0 && o.max_repair_steps >= 0,
           "DTMM scheduler: moves_per_temperature >= 1, max_iterations >= 0, max_repair_steps >= 0 expected");
  const auto t_start = std::chrono::steady_clock::now();
  const DtmmState lower = lower_in ? *lower_in : zero_state();
  TP_CHECK(lower.alpha.size() == static_cast<Eigen::Index>(layers_.size()) &&
               lower.beta.size() == static_cast<Eigen::Index>(groups_.size()),
           "DTMM scheduler: lower bound state has the wrong size");

  DtmmResult r;
  r.dense = evaluate(lower, o.importance_weight);
  r.dense_latency = dense_latency_;

  // The importance bounds.
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const size_t ng = groups_.size();
  auto reachable = [&](double te, const std::vector<double>& tf, const DtmmBudget& b) {
    return meets(evaluate(most_pruned(upper_bounds(te, tf, o, lower), lower), o.importance_weight), b);
  };
  // Smallest candidate c (ascending) with pred(c); +inf when none. pred is monotone.
  auto smallest = [](const std::vector<double>& cand, const std::function<bool(double)>& pred) {
    size_t lo = 0, hi = cand.size();
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (pred(cand[mid]))
        hi = mid;
      else
        lo = mid + 1;
    }
    return lo < cand.size() ? cand[lo] : kInf;
  };
  auto at_least = [](std::vector<double> v, double t) {
    for (double& x : v) x = std::max(x, t);
    return v;
  };
  double tau = o.importance_bound;
  std::vector<double> tau_f(ng, o.importance_bound);
  if (std::isnan(tau)) {
    if (!reachable(kInf, std::vector<double>(ng, kInf), budget)) {
      const DtmmEvaluation extreme = evaluate(most_pruned(upper_bounds(kInf, kInf, o, lower), lower));
      throw InfeasibleBudgetError(str_cat(
          "infeasible budget: even the most pruned model the caps allow (max ", o.max_beta * 100,
          " % of the filters of each channel group, max ", o.max_alpha * 100,
          " % of the filterlets of each conv) misses the budget: ", shortfall(extreme, budget),
          ". Raise the budget or the caps (max_filter_fraction, max_filterlet_fraction)."));
    }
    std::vector<double> filters{0.0}, filterlets{0.0};
    for (size_t i = 0; i < ng; ++i)
      for (double x : sorted_filter_[i])
        filters.push_back(o.filter_bound_per_filterlet ? x / groups_[i].filterlets_per_filter : x);
    for (const auto& v : sorted_filterlet_) filterlets.insert(filterlets.end(), v.begin(), v.end());
    for (auto* c : {&filters, &filterlets}) {
      std::sort(c->begin(), c->end());
      c->erase(std::unique(c->begin(), c->end()), c->end());
      c->push_back(kInf);
    }
    tau_f.assign(ng, 0.0);
    if (budget.sram_bytes) {
      // Filters of the groups at the peak; when they shrink, another group may hold the peak.
      DtmmBudget sram;
      sram.sram_bytes = budget.sram_bytes;
      std::vector<char> at_peak(ng, 0);
      auto only_peak = [&](double t) {
        std::vector<double> v(ng, 0.0);
        for (size_t i = 0; i < ng; ++i)
          if (at_peak[i]) v[i] = t;
        return v;
      };
      for (size_t round = 0; round <= ng; ++round) {
        if (reachable(0.0, only_peak(kInf), sram)) {
          tau_f = only_peak(smallest(filters, [&](double t) { return reachable(0.0, only_peak(t), sram); }));
          break;
        }
        bool added = false;
        for (int i : evaluate(most_pruned(upper_bounds(0.0, only_peak(kInf), o, lower), lower)).bottleneck_groups)
          if (!at_peak[static_cast<size_t>(i)]) at_peak[static_cast<size_t>(i)] = added = true;
        if (!added) {
          tau_f.assign(ng, kInf);  // SRAM needs more than filter pruning of the peak groups
          break;
        }
      }
    }
    // Flash / MACs may need more filters than the filterlets can make up for.
    if (!reachable(kInf, tau_f, budget)) {
      const double t = smallest(filters, [&](double x) { return reachable(kInf, at_least(tau_f, x), budget); });
      tau_f = at_least(tau_f, t);
    }
    tau = smallest(filterlets, [&](double te) { return reachable(te, at_least(tau_f, te), budget); });
    tau *= o.importance_slack;
    for (double& x : tau_f) x *= o.importance_slack;
    tau_f = at_least(tau_f, tau);
  }
  r.importance_bound = tau;
  r.filter_bounds = tau_f;
  r.filter_importance_bound = tau_f.empty() ? tau : *std::max_element(tau_f.begin(), tau_f.end());
  const DtmmState ub = upper_bounds(tau, tau_f, o, lower);
  DtmmState best = most_pruned(ub, lower);
  DtmmEvaluation best_ev = evaluate(best, o.importance_weight);
  if (!meets(best_ev, budget))
    throw InfeasibleBudgetError(str_cat(
        "infeasible budget: even the most pruned model within importance bound ", tau, " (and max ", o.max_beta * 100,
        " % of the filters per group, ", o.max_alpha * 100, " % of the filterlets per conv) misses the budget: ",
        shortfall(best_ev, budget), ". Raise the budget, importance_bound (or use auto) or the caps."));
  r.from_annealing = false;

  // Simulated annealing (1.5.5).
  std::mt19937_64 gen(o.seed);
  auto uniform = [&gen]() { return static_cast<double>(gen() >> 11) * (1.0 / 9007199254740992.0); };
  const double t_hi = o.reference_temperatures ? 100.0 : o.t0;
  const double t_lo = o.reference_temperatures ? 20.0 : o.t_end;
  DtmmState cur = lower;
  double cur_obj = std::numeric_limits<double>::infinity();
  for (double temp = t_hi; temp > t_lo && r.iterations < o.max_iterations; temp *= o.cooling) {
    for (int64_t m = 0; m < o.moves_per_temperature && r.iterations < o.max_iterations; ++m) {
      ++r.iterations;
      DtmmState cand = cur;
      for (Eigen::Index i = 0; i < cand.alpha.size(); ++i) cand.alpha[i] += (2 * uniform() - 1) * o.step;
      for (Eigen::Index i = 0; i < cand.beta.size(); ++i) cand.beta[i] += (2 * uniform() - 1) * o.step;
      const double u = uniform();  // drawn for every move so the stream does not depend on repairs
      project(cand, lower, ub);
      DtmmEvaluation ev;
      if (!repair(cand, lower, ub, budget, o, &ev)) {
        ++r.rejected;
        continue;
      }
      ++r.feasible;
      if (ev.objective < cur_obj || std::exp(-(ev.objective - cur_obj) / temp) > u) {
        cur = cand;
        cur_obj = ev.objective;
        ++r.accepted;
      }
      if (ev.objective < best_ev.objective) {
        best = cand;
        best_ev = ev;
        r.from_annealing = true;
      }
    }
  }
  r.state = best;
  r.eval = best_ev;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return r;
}

}  // namespace tinyprune
