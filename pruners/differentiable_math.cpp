#include "pruners/differentiable_math.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "core/error.h"

namespace tinyprune {

int64_t kept_count(double pi, int64_t channels) {
  TP_CHECK(channels >= 1, "kept_count: a group needs at least one channel, got ", channels);
  const double n = std::floor(pi * static_cast<double>(channels) + 1e-9);
  return std::clamp<int64_t>(static_cast<int64_t>(n), 1, channels);
}

namespace {

// Channel order by salience, largest first; ties by lower index; NaN last.
std::vector<int64_t> by_salience(const std::vector<double>& s) {
  std::vector<int64_t> idx(s.size());
  std::iota(idx.begin(), idx.end(), 0);
  auto key = [&](int64_t i) {
    const double v = s[static_cast<size_t>(i)];
    return std::isnan(v) ? -std::numeric_limits<double>::infinity() : v;
  };
  std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return key(a) > key(b); });
  return idx;
}

}  // namespace

std::vector<float> top_k_mask(const std::vector<double>& salience, int64_t keep) {
  std::vector<float> mask(salience.size(), 0.0f);
  if (salience.empty()) return mask;
  keep = std::clamp<int64_t>(keep, 1, static_cast<int64_t>(salience.size()));
  const std::vector<int64_t> order = by_salience(salience);
  for (int64_t k = 0; k < keep; ++k) mask[static_cast<size_t>(order[static_cast<size_t>(k)])] = 1.0f;
  return mask;
}

double hard_threshold(const std::vector<double>& salience, int64_t keep) {
  TP_CHECK(!salience.empty(), "hard_threshold: empty salience");
  const int64_t c = static_cast<int64_t>(salience.size());
  keep = std::clamp<int64_t>(keep, 1, c);
  std::vector<double> sorted = salience;
  std::sort(sorted.begin(), sorted.end(), std::greater<double>());
  if (keep == c) return 0.5 * sorted.back();
  return std::sqrt(sorted[static_cast<size_t>(keep - 1)] * sorted[static_cast<size_t>(keep)]);
}

namespace {

double sigmoid(double x) {
  // Stable for both signs.
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

double mean_relaxed_mask(const std::vector<double>& log_s, double u) {
  double sum = 0;
  for (double l : log_s) sum += sigmoid(l - u);
  return sum / static_cast<double>(log_s.size());
}

std::vector<double> logs_of(const std::vector<double>& s) {
  std::vector<double> out(s.size());
  for (size_t j = 0; j < s.size(); ++j) {
    TP_CHECK(s[j] > 0 && std::isfinite(s[j]), "differentiable pruning: salience of channel ", j,
             " must be positive and finite, got ", s[j]);
    out[j] = std::log(s[j]);
  }
  return out;
}

}  // namespace

double solve_relaxed_threshold(const std::vector<double>& salience, double pi) {
  TP_CHECK(!salience.empty(), "solve_relaxed_threshold: empty salience");
  pi = std::clamp(pi, 1e-6, 1.0 - 1e-6);
  const std::vector<double> log_s = logs_of(salience);
  double lo = *std::min_element(log_s.begin(), log_s.end()) - 40.0;  // mean M ~ 1 > pi
  double hi = *std::max_element(log_s.begin(), log_s.end()) + 40.0;  // mean M ~ 0 < pi
  for (int it = 0; it < 200 && hi - lo > 1e-15 * std::max(1.0, std::abs(lo)); ++it) {
    const double mid = 0.5 * (lo + hi);
    if (mean_relaxed_mask(log_s, mid) > pi)
      lo = mid;
    else
      hi = mid;
  }
  return std::exp(0.5 * (lo + hi));
}

Eq9Result eq9_gradient(const std::vector<double>& salience, double pi, const std::vector<double>& g, double s0) {
  TP_CHECK(salience.size() == g.size(), "eq9_gradient: ", salience.size(), " saliences but ", g.size(),
           " mask gradients");
  TP_CHECK(!salience.empty(), "eq9_gradient: empty group");
  const size_t c = salience.size();
  Eq9Result r;
  r.s0 = s0 > 0 ? s0 : solve_relaxed_threshold(salience, pi);
  r.m.resize(c);
  r.dm_ds0.resize(c);
  r.w.resize(c);
  double sum_dm = 0, sum_var = 0;
  const std::vector<double> log_s = logs_of(salience);
  const double log_s0 = std::log(r.s0);
  for (size_t j = 0; j < c; ++j) {
    r.m[j] = sigmoid(log_s[j] - log_s0);
    const double denom = salience[j] + r.s0;
    r.dm_ds0[j] = -salience[j] / (denom * denom);
    sum_dm += r.dm_ds0[j];
    sum_var += r.m[j] * (1.0 - r.m[j]);
  }
  // w_j = (dM_j/ds0) / sum_k dM_k/ds0 = M_j(1-M_j) / sum_k M_k(1-M_k) (dM/ds0 = -M(1-M)/s0); the
  // second form survives when every dM/ds0 underflows. Uniform weights if even that vanishes.
  for (size_t j = 0; j < c; ++j) {
    if (sum_dm < 0)
      r.w[j] = r.dm_ds0[j] / sum_dm;
    else if (sum_var > 0)
      r.w[j] = r.m[j] * (1.0 - r.m[j]) / sum_var;
    else
      r.w[j] = 1.0 / static_cast<double>(c);
  }
  r.ds0_dpi = sum_dm < 0 ? static_cast<double>(c) / sum_dm : -std::numeric_limits<double>::infinity();
  double dot = 0;
  for (size_t j = 0; j < c; ++j) dot += g[j] * r.w[j];
  r.dp_dpi = static_cast<double>(c) * dot;
  return r;
}

ResourceLoss resource_loss(const std::vector<ResourceTerm>& terms, Scalarisation mode, uint64_t seed, size_t groups) {
  ResourceLoss out;
  out.grad.assign(groups, 0.0);
  for (const ResourceTerm& t : terms) {
    TP_CHECK(t.budget > 0, "resource_loss: budget of ", t.name, " must be > 0, got ", t.budget);
    TP_CHECK(t.grad.size() == groups, "resource_loss: ", t.name, " gradient has ", t.grad.size(), " entries, expected ",
             groups);
  }
  if (mode == Scalarisation::kSum) {
    for (const ResourceTerm& t : terms) {
      if (!t.violated()) continue;
      out.value += t.value / t.budget - 1.0;
      for (size_t g = 0; g < groups; ++g) out.grad[g] += t.grad[g] / t.budget;
    }
    return out;
  }
  // Draw one lambda per term whatever the violation state, so the random stream is a function of
  // the seed only (reproducible and resumable).
  std::mt19937_64 rng(seed);
  double best = -1;
  for (size_t i = 0; i < terms.size(); ++i) {
    const double u = (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;  // (0, 1)
    out.lambda.push_back(1.0 / u);
    if (!terms[i].violated()) continue;
    const double score = out.lambda.back() * terms[i].value / terms[i].budget;
    if (score > best) {
      best = score;
      out.chosen = static_cast<int>(i);
    }
  }
  if (out.chosen < 0) return out;
  const ResourceTerm& t = terms[static_cast<size_t>(out.chosen)];
  out.value = t.value / t.budget - 1.0;
  for (size_t g = 0; g < groups; ++g) out.grad[g] = t.grad[g] / t.budget;
  return out;
}

double max_violation(const std::vector<ResourceTerm>& terms) {
  double v = 0;
  for (const ResourceTerm& t : terms) v = std::max(v, t.value / t.budget - 1.0);
  return v;
}

std::vector<double> combine_pi_gradient(const std::vector<double>& dres, const std::vector<double>& dtsk,
                                        double alpha_res, double alpha_tsk, const std::vector<bool>& prunable,
                                        bool focus, double clip_max) {
  const size_t n = prunable.size();
  TP_CHECK(dres.empty() || dres.size() == n, "combine_pi_gradient: resource gradient size ", dres.size(), " != ", n);
  TP_CHECK(dtsk.empty() || dtsk.size() == n, "combine_pi_gradient: task gradient size ", dtsk.size(), " != ", n);
  std::vector<double> out(n, 0.0);
  for (size_t g = 0; g < n; ++g) {
    if (!prunable[g]) continue;
    const double r = dres.empty() ? 0.0 : dres[g];
    const double t = dtsk.empty() ? 0.0 : dtsk[g];
    if (focus && !(r > 0)) continue;
    const double v = alpha_res * r + alpha_tsk * t;
    out[g] = std::isfinite(v) ? std::clamp(v, 0.0, clip_max) : 0.0;
  }
  return out;
}

void update_theta(std::vector<double>& theta, const std::vector<double>& g, double lr,
                  const std::vector<double>& min_theta) {
  TP_CHECK(theta.size() == g.size() && theta.size() == min_theta.size(), "update_theta: size mismatch (theta ",
           theta.size(), ", gradient ", g.size(), ", bounds ", min_theta.size(), ")");
  for (size_t i = 0; i < theta.size(); ++i) {
    theta[i] -= lr * std::exp(theta[i]) * g[i];
    theta[i] = std::clamp(theta[i], std::min(min_theta[i], 0.0), 0.0);
  }
}

double trade_off_alpha(double p_res_init, double p_tsk_init, double r) {
  if (!(p_tsk_init > 0)) return 0.0;
  return r * p_res_init / p_tsk_init;
}

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
}  // namespace

Alphas gradient_scale_alphas(const std::vector<double>& dres, const std::vector<double>& dtsk,
                             const std::vector<bool>& prunable, double r, double clip_max) {
  std::vector<double> res, tsk;
  for (size_t g = 0; g < prunable.size(); ++g) {
    if (!prunable[g]) continue;
    if (g < dres.size() && dres[g] > 0 && std::isfinite(dres[g])) res.push_back(dres[g]);
    if (g < dtsk.size() && dtsk[g] != 0 && std::isfinite(dtsk[g])) tsk.push_back(std::abs(dtsk[g]));
  }
  Alphas a;
  if (!res.empty()) a.res = clip_max / median(res);
  if (!tsk.empty()) a.tsk = r * clip_max / median(tsk);
  return a;
}

double pruning_lr_for(double pi_target, double updates, double clip_max) {
  pi_target = std::clamp(pi_target, 1e-3, 1.0);
  return (1.0 / pi_target - 1.0) / (clip_max * std::max(1.0, updates));
}

double solve_uniform_multiplier(const std::function<bool(double)>& meets, double lo, int iters) {
  if (meets(1.0)) return 1.0;
  if (!meets(lo)) return lo;
  double hi = 1.0;  // invariant: meets(lo), !meets(hi)
  for (int i = 0; i < iters; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (meets(mid))
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

}  // namespace tinyprune
