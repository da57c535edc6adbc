// The pure math of the differentiable pruner (pruners/differentiable_math.h): Eq. 5-9 against the
// worked example of algorithms.md 2.4 (T2.1), against check_eq9.py and against finite differences;
// the Eq. 6 and uniform-width solvers; masks; resource loss; the update rule.
#include "pruners/differentiable_math.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.h"

namespace tinyprune {
namespace {

// P(pi) = sum_j g_j M_j(s0(pi)): the function whose derivative Eq. 9 gives.
double relaxed_objective(const std::vector<double>& s, const std::vector<double>& g, double pi) {
  const double s0 = solve_relaxed_threshold(s, pi);
  double p = 0;
  for (size_t j = 0; j < s.size(); ++j) p += g[j] / (1.0 + s0 / s[j]);
  return p;
}

TEST(DifferentiableMathTest, Eq9MatchesTheWorkedExample) {
  // T2.1: s = [0.5, 1, 2, 4], pi = 0.5 -> s0 = sqrt(2).
  const Eq9Result r = eq9_gradient({0.5, 1, 2, 4}, 0.5, {1, 0, 0, 0});
  EXPECT_NEAR(r.s0, std::sqrt(2.0), 1e-12);
  const double m[] = {0.261204, 0.414214, 0.585786, 0.738796};
  const double dm[] = {-0.136455, -0.171573, -0.171573, -0.136455};
  const double w[] = {0.221498, 0.278502, 0.278502, 0.221498};
  for (int j = 0; j < 4; ++j) {
    EXPECT_NEAR(r.m[j], m[j], 1e-6) << j;
    EXPECT_NEAR(r.dm_ds0[j], dm[j], 1e-6) << j;
    EXPECT_NEAR(r.w[j], w[j], 1e-6) << j;
  }
  EXPECT_NEAR(r.ds0_dpi, -6.492920, 1e-6);
  EXPECT_NEAR(r.dp_dpi, 0.885991, 1e-6);
  // Sanity from 2.4: all g_j = 1 gives dP/dpi = C.
  EXPECT_NEAR(eq9_gradient({0.5, 1, 2, 4}, 0.5, {1, 1, 1, 1}).dp_dpi, 4.0, 1e-12);
}

TEST(DifferentiableMathTest, Eq9MatchesTheReferenceScript) {
  // check_eq9.py (random.seed(0), C = 16, pi = 0.6): s0 = 0.674117, analytic = numeric = 6.095753.
  const std::vector<double> s = {1.6966226104738438, 1.5280110857335898, 0.8701145826201477, 0.5548876630712786,
                                 1.0469857066687867, 0.8396215680283079, 1.5784072486178067, 0.6414598158539085,
                                 0.9793640605970939, 1.1875949769373109, 1.8208201261309036, 1.0341393688439109,
                                 0.5995837965794225, 1.5238181981065866, 1.2558195435168966, 0.538487365656759};
  const std::vector<double> g = {0.8194925119364802,   0.9655709520753062,  0.6204344719931791,   0.8043319008791654,
                                 -0.37970486136133474, 0.4596634965202573,  0.797676575935987,    0.36796786383088254,
                                 -0.055714569094573285, -0.7985975838632684, -0.13165632909243263, 0.2217739468876032,
                                 0.8260221064757964,   0.9332127355415176,  -0.04598044689456593, 0.7306198555432801};
  const Eq9Result r = eq9_gradient(s, 0.6, g);
  EXPECT_NEAR(r.s0, 0.674117, 1e-6);
  EXPECT_NEAR(r.dp_dpi, 6.095753, 1e-6);
}

TEST(DifferentiableMathTest, Eq9MatchesFiniteDifferences) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> sal(0.01, 3.0), up(-1.0, 1.0);
  for (int c : {3, 16, 64}) {
    for (double pi : {0.1, 0.35, 0.6, 0.93}) {
      std::vector<double> s(static_cast<size_t>(c)), g(static_cast<size_t>(c));
      for (int j = 0; j < c; ++j) {
        s[static_cast<size_t>(j)] = sal(rng);
        g[static_cast<size_t>(j)] = up(rng);
      }
      const double h = 1e-6;
      const double numeric = (relaxed_objective(s, g, pi + h) - relaxed_objective(s, g, pi - h)) / (2 * h);
      const double analytic = eq9_gradient(s, pi, g).dp_dpi;
      EXPECT_NEAR(analytic, numeric, 1e-6 * std::max(1.0, std::abs(numeric))) << "C=" << c << " pi=" << pi;
    }
  }
}

TEST(DifferentiableMathTest, RelaxedThresholdSolvesEq6) {
  // The width constraint (Eq. 6): mean relaxed mask == pi, for extreme pi too.
  const std::vector<double> s = {1e-8, 0.03, 0.5, 0.5, 2.0, 40.0};
  for (double pi : {1e-6, 0.01, 0.2, 0.5, 0.77, 0.999, 1.0}) {
    const double s0 = solve_relaxed_threshold(s, pi);
    double mean = 0;
    for (double v : s) mean += 1.0 / (1.0 + s0 / v);
    mean /= static_cast<double>(s.size());
    EXPECT_NEAR(mean, std::clamp(pi, 1e-6, 1 - 1e-6), 1e-10) << pi;
  }
  // Monotone: a larger width needs a lower threshold.
  EXPECT_GT(solve_relaxed_threshold(s, 0.3), solve_relaxed_threshold(s, 0.6));
  EXPECT_THROW(solve_relaxed_threshold({1.0, 0.0}, 0.5), Error);
}

TEST(DifferentiableMathTest, Eq9AtPiOneStaysFinite) {
  // pi starts at 1: the relaxation is clamped to 1 - 1e-6 and the weights still sum to 1.
  const Eq9Result r = eq9_gradient({0.1, 1.0, 10.0}, 1.0, {-1, -1, -1});
  double sum = 0;
  for (double w : r.w) sum += w;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_NEAR(r.dp_dpi, -3.0, 1e-9);
  // The least salient channel is nearest the threshold and dominates.
  EXPECT_GT(r.w[0], r.w[1]);
  EXPECT_GT(r.w[1], r.w[2]);
}

TEST(DifferentiableMathTest, ThresholdOptionUsesTheGivenS0) {
  const std::vector<double> s = {0.5, 1, 2, 4};
  const double tau = hard_threshold(s, 2);  // between 1 and 2
  EXPECT_NEAR(tau, std::sqrt(2.0), 1e-12);
  const Eq9Result r = eq9_gradient(s, 0.9, {1, 0, 0, 0}, tau);
  EXPECT_NEAR(r.s0, tau, 1e-15);
  EXPECT_NEAR(r.dp_dpi, 0.885991, 1e-6);  // same point as the worked example
  EXPECT_NEAR(hard_threshold(s, 4), 0.25, 1e-15);
}

TEST(DifferentiableMathTest, TopKMaskKeepsTheMostSalientAndBreaksTiesByIndex) {
  EXPECT_EQ(top_k_mask({0.3, 0.9, 0.1, 0.5}, 2), (std::vector<float>{0, 1, 0, 1}));
  EXPECT_EQ(top_k_mask({0.5, 0.5, 0.5, 0.5}, 3), (std::vector<float>{1, 1, 1, 0}));
  EXPECT_EQ(top_k_mask({0.2, std::nan(""), 0.1}, 2), (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(top_k_mask({0.2, 0.4}, 0), (std::vector<float>{0, 1}));  // at least one channel
  EXPECT_EQ(kept_count(0.7, 10), 7);
  EXPECT_EQ(kept_count(0.01, 10), 1);
  EXPECT_EQ(kept_count(1.0, 10), 10);
  EXPECT_EQ(kept_count(0.999, 10), 9);
}

ResourceTerm term(const std::string& name, double value, double budget, std::vector<double> grad) {
  ResourceTerm t;
  t.name = name;
  t.value = value;
  t.budget = budget;
  t.grad = std::move(grad);
  return t;
}

TEST(DifferentiableMathTest, ResourceLossSelectsAViolatedTermAndDoesNotScaleItsGradient) {
  const std::vector<ResourceTerm> terms = {term("peak_memory", 200, 100, {10, 0, 0}),
                                           term("model_size", 50, 100, {1, 1, 1}),  // met
                                           term("macs", 300, 100, {0, 30, 60})};
  int chose_pmu = 0, chose_macs = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const ResourceLoss l = resource_loss(terms, Scalarisation::kRandom, seed, 3);
    ASSERT_TRUE(l.chosen == 0 || l.chosen == 2) << seed;  // never the satisfied term
    ASSERT_EQ(l.lambda.size(), 3u);
    for (double lam : l.lambda) EXPECT_GE(lam, 1.0);
    if (l.chosen == 0) {
      ++chose_pmu;
      EXPECT_DOUBLE_EQ(l.value, 1.0);
      EXPECT_EQ(l.grad, (std::vector<double>{0.1, 0, 0}));
    } else {
      ++chose_macs;
      EXPECT_DOUBLE_EQ(l.value, 2.0);
      EXPECT_EQ(l.grad, (std::vector<double>{0, 0.3, 0.6}));
    }
    // Same seed, same choice.
    EXPECT_EQ(resource_loss(terms, Scalarisation::kRandom, seed, 3).chosen, l.chosen);
  }
  // Both violated terms get picked; the larger violation more often.
  EXPECT_GT(chose_pmu, 0);
  EXPECT_GT(chose_macs, chose_pmu);

  const ResourceLoss sum = resource_loss(terms, Scalarisation::kSum, 0, 3);
  EXPECT_DOUBLE_EQ(sum.value, 3.0);
  EXPECT_EQ(sum.grad, (std::vector<double>{0.1, 0.3, 0.6}));
  EXPECT_DOUBLE_EQ(max_violation(terms), 2.0);

  const std::vector<ResourceTerm> met = {term("macs", 90, 100, {1, 1, 1})};
  EXPECT_EQ(resource_loss(met, Scalarisation::kRandom, 1, 3).chosen, -1);
  EXPECT_EQ(resource_loss(met, Scalarisation::kRandom, 1, 3).value, 0.0);
  EXPECT_EQ(resource_loss(met, Scalarisation::kSum, 1, 3).grad, (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(max_violation(met), 0.0);
}

TEST(DifferentiableMathTest, CombinedGradientIsClippedAndFocused) {
  const std::vector<bool> prunable = {true, true, true, false, true};
  const std::vector<double> dres = {0.5, 0.0, 0.01, 1.0, 0.02};
  const std::vector<double> dtsk = {-0.1, 5.0, -0.5, 0.0, -0.01};
  // alpha_res*dres + alpha_tsk*dtsk = {0.4, 5, -0.49, (fixed), 0.01}
  EXPECT_EQ(combine_pi_gradient(dres, dtsk, 1.0, 1.0, prunable, /*focus=*/true),
            (std::vector<double>{0.025, 0.0, 0.0, 0.0, 0.01}));
  // Without focus a group outside the bottleneck moves on a positive task gradient alone.
  EXPECT_EQ(combine_pi_gradient(dres, dtsk, 1.0, 1.0, prunable, /*focus=*/false),
            (std::vector<double>{0.025, 0.025, 0.0, 0.0, 0.01}));
  // Task-only (paper footnote 6): only positive task gradients shrink.
  EXPECT_EQ(combine_pi_gradient({}, dtsk, 0.0, 1.0, prunable, false), (std::vector<double>{0, 0.025, 0, 0, 0}));
}

TEST(DifferentiableMathTest, ThetaUpdateOnlyShrinksAndStopsAtOneChannel) {
  std::vector<double> theta = {0.0, 0.0, std::log(0.5)};
  const std::vector<double> min_theta = {-std::log(8.0), -std::log(8.0), -std::log(8.0)};
  update_theta(theta, {0.025, 0.0, 0.025}, 4.0, min_theta);
  EXPECT_DOUBLE_EQ(theta[0], -0.1);
  EXPECT_DOUBLE_EQ(theta[1], 0.0);
  EXPECT_DOUBLE_EQ(theta[2], std::log(0.5) - 4.0 * 0.5 * 0.025);  // the "flat exp" slows small groups
  update_theta(theta, {0.025, 0.0, 0.025}, 1e6, min_theta);
  EXPECT_DOUBLE_EQ(theta[0], -std::log(8.0));
  // A negative gradient cannot grow pi above 1.
  std::vector<double> t1 = {0.0};
  update_theta(t1, {-1.0}, 10.0, {-1.0});
  EXPECT_EQ(t1[0], 0.0);
}

TEST(DifferentiableMathTest, AlphaRuleAndLearningRate) {
  EXPECT_DOUBLE_EQ(trade_off_alpha(1.5, 2.25, 2.0 / 3.0), 2.0 / 3.0 * 1.5 / 2.25);
  EXPECT_EQ(trade_off_alpha(1.0, 0.0, 0.5), 0.0);
  // From pi = 1 to 0.5 in 40 updates at the cap: (1/0.5 - 1) / (0.025 * 40) = 1.
  EXPECT_DOUBLE_EQ(pruning_lr_for(0.5, 40), 1.0);
  // Integrating d(pi) = -lr*pi^2*clip over the updates reaches the target (small steps).
  double theta = 0;
  const double lr = pruning_lr_for(0.25, 2000);
  for (int i = 0; i < 2000; ++i) theta -= lr * std::exp(theta) * 0.025;
  EXPECT_NEAR(std::exp(theta), 0.25, 2e-3);
}

TEST(DifferentiableMathTest, GradientScaleAlphasPutTheFirstGradientsAtTheCap) {
  const std::vector<bool> prunable = {true, true, true, false, true};
  // Positive resource gradients of prunable groups: {2, 4, 0.5} -> median 2; |task|: {1, 3, 2, 0.5} -> 1.5.
  const Alphas a = gradient_scale_alphas({2.0, 4.0, 0.0, 100.0, 0.5}, {-1.0, -3.0, 2.0, -50.0, -0.5}, prunable, 0.5);
  EXPECT_DOUBLE_EQ(a.res, 0.025 / 2.0);
  EXPECT_DOUBLE_EQ(a.tsk, 0.5 * 0.025 / 1.5);
  // The median group then sits at the cap, and the task term at r times it.
  EXPECT_DOUBLE_EQ(a.res * 2.0, 0.025);
  const Alphas none = gradient_scale_alphas({0, 0, 0, 0, 0}, {}, prunable, 0.5);
  EXPECT_EQ(none.res, 1.0);
  EXPECT_EQ(none.tsk, 0.0);
}

TEST(DifferentiableMathTest, UniformWidthSolverFindsTheLargestFeasibleMultiplier) {
  // A quadratic resource (MACs ~ pi^2 * 1000) against a budget of 250 -> pi* = 0.5.
  auto meets = [](double pi) { return pi * pi * 1000.0 <= 250.0; };
  EXPECT_NEAR(solve_uniform_multiplier(meets, 0.0), 0.5, 1e-8);
  EXPECT_EQ(solve_uniform_multiplier([](double) { return true; }, 0.0), 1.0);
  EXPECT_EQ(solve_uniform_multiplier([](double) { return false; }, 0.1), 0.1);
  // Step-shaped (integer widths): the returned pi is feasible.
  auto stepped = [](double pi) { return std::floor(pi * 10 + 1e-9) <= 3; };
  const double p = solve_uniform_multiplier(stepped, 0.0);
  EXPECT_TRUE(stepped(p));
  EXPECT_NEAR(p, 0.4, 1e-8);
}

}  // namespace
}  // namespace tinyprune
