// The math of differentiable channel pruning for microcontrollers (Liberis & Lane; DSA-style
// relaxation), as pure functions: no model, no LibTorch, no state. algorithms.md 2.3-2.7 and 3.5;
// the pruner (pruners/differentiable_pruner.h) only wires them to a model.
//
// Notation (per channel group g of original width C): salience s_j > 0 of channel j, width
// multiplier pi in (0, 1], hard mask M (top max(1, floor(pi*C)) channels by salience), relaxed mask
// M(s_j, s0) = sigmoid(ln s_j - ln s0) (Eq. 5) whose mean equals pi (Eq. 6, defines s0(pi)), and the
// task gradient (Eq. 9)
//     dP/dpi = C * sum_j g_j * w_j,   w_j = M_j (1 - M_j) / sum_k M_k (1 - M_k),   g_j = dP/dM_j.
//
// Usage:
//   Eq9Result r = eq9_gradient({0.5, 1, 2, 4}, 0.5, {1, 0, 0, 0});   // r.s0 = sqrt(2), r.dp_dpi = 0.885991
//   std::vector<float> keep = top_k_mask(salience, kept_count(pi, C));
//   ResourceLoss l = resource_loss(terms, Scalarisation::kRandom, seed);
//   std::vector<double> g = combine_pi_gradient(l.grad, dtsk, 1.0, alpha_tsk, prunable, {});
//   update_theta(theta, g, lr, min_theta);                            // pi = exp(theta) only shrinks
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tinyprune {

// --- 2.3 hard mask ----------------------------------------------------------------------------

// Channels kept at multiplier pi: max(1, floor(pi*C)) with the 1e-9 slack of
// ChannelGroups::widths_from_multipliers (so 0.7*10 keeps 7), at most C.
int64_t kept_count(double pi, int64_t channels);

// 0/1 mask keeping the `keep` channels of largest salience; ties go to the lower index, NaN counts
// as the smallest salience. keep is clamped to [1, size].
std::vector<float> top_k_mask(const std::vector<double>& salience, int64_t keep);

// Geometric mean of the keep-th and (keep+1)-th largest saliences (the hard threshold tau of
// Algorithm 1); when every channel is kept, half the smallest salience.
double hard_threshold(const std::vector<double>& salience, int64_t keep);

// --- 2.4 relaxation and the Eq. 9 task gradient --------------------------------------------------

// s0 solving Eq. 6, mean_j sigmoid(ln s_j - ln s0) = pi, by bisection on u = ln s0 over
// [min ln s - 40, max ln s + 40] (the left side is strictly decreasing in u). pi is clamped to
// [1e-6, 1 - 1e-6]; saliences must be > 0 (callers add 1e-8). Relative accuracy ~1e-14.
double solve_relaxed_threshold(const std::vector<double>& salience, double pi);

struct Eq9Result {
  double s0 = 0;                 // the threshold used (Eq. 6 solution or the given tau)
  std::vector<double> m;         // relaxed mask M_j (Eq. 5)
  std::vector<double> dm_ds0;    // dM_j/ds0 = -s_j / (s_j + s0)^2
  std::vector<double> w;         // Eq. 9 weights, >= 0, sum 1
  double ds0_dpi = 0;            // Eq. 8: C / sum_j dM_j/ds0
  double dp_dpi = 0;             // Eq. 9
};

// Eq. 9 for one group: salience s (> 0), multiplier pi, upstream gradient g_j = dP/dM_j (summed over
// the batch and over all member layers sharing the mask). `s0` > 0 evaluates the relaxation at that
// threshold instead of solving Eq. 6 (Algorithm 1's s0 = tau option).
Eq9Result eq9_gradient(const std::vector<double>& salience, double pi, const std::vector<double>& g, double s0 = 0);

// --- 2.5/2.6 resource loss -------------------------------------------------------------------------

// One constrained resource: its value at the deployed widths, the budget, and d(value)/d(pi_g).
struct ResourceTerm {
  std::string name;            // "peak_memory", "model_size", "macs"
  double value = 0;
  double budget = 0;           // > 0
  std::vector<double> grad;    // one entry per group
  bool violated() const { return value > budget; }
};

enum class Scalarisation { kRandom, kSum };

struct ResourceLoss {
  double value = 0;            // P_RES >= 0
  int chosen = -1;             // random: index of the selected term (-1 when every term is met)
  std::vector<double> lambda;  // random: the drawn coefficients 1/U(0,1), one per term
  std::vector<double> grad;    // dP_RES/dpi_g
};

// Random scalarisation (Eq. 2): lambda_i = 1/u_i, u_i ~ U(0,1) drawn from `seed`; the term
// maximising lambda_i * m_i / b_i among the *violated* terms is selected and
// P_RES = m/b - 1, dP_RES/dpi = (dm/dpi)/b (lambda selects, it does not scale).
// [CHOICE] Restricting the choice to violated terms means an update never picks an objective that
// exerts no pressure (Eq. 2 clipped at 0); with one violated term it is always that term.
// Sum: P_RES = sum_i max(0, m_i/b_i - 1), gradient the sum over violated terms.
// Every term's grad must have `groups` entries. No violated term: value 0, gradient 0.
ResourceLoss resource_loss(const std::vector<ResourceTerm>& terms, Scalarisation mode, uint64_t seed, size_t groups);

// Largest relative violation max_i (m_i/b_i - 1), clipped at 0: the P_RES^init of the alpha rule
// (independent of the random draw).
double max_violation(const std::vector<ResourceTerm>& terms);

// --- 2.6 update ------------------------------------------------------------------------------------

// g_g = clip(alpha_res*dres_g + alpha_tsk*dtsk_g, 0, clip_max) for prunable groups, 0 elsewhere.
// focus: only groups with dres_g > 0 move (the bottleneck groups of a PMU objective).
// dres or dtsk may be empty (= zeros).
std::vector<double> combine_pi_gradient(const std::vector<double>& dres, const std::vector<double>& dtsk,
                                        double alpha_res, double alpha_tsk, const std::vector<bool>& prunable,
                                        bool focus, double clip_max = 0.025);

// pi_g = exp(theta_g): theta_g -= lr * pi_g * g_g (chain rule), clamped to [min_theta_g, 0] so pi
// starts at 1, only shrinks and never drops below the 1-channel multiplier (min_theta_g = -ln C_g).
void update_theta(std::vector<double>& theta, const std::vector<double>& g, double lr,
                  const std::vector<double>& min_theta);

// alpha = r * P_RES^init / P_TSK^init (App. A; r typically 2/3). 0 when P_TSK^init <= 0.
double trade_off_alpha(double p_res_init, double p_tsk_init, double r);

// The App. A practical rule as an automatic setting: alphas such that the first resource and task
// gradients are of the order of the cap. alpha_res = clip / median_g(dres_g > 0) and
// alpha_tsk = r * clip / median_g |dtsk_g| over prunable groups (medians of the positive resource
// gradients and of the non-zero task gradients; 1 resp. 0 when there are none). [CHOICE] With the
// paper's alpha_res = 1, MAC and flash gradients of small MCU models are 10-100x the cap, every
// group saturates at the clip and pruning degenerates to uniform scaling (measured; see
// bench/differentiable), so this is the default and the loss-ratio rule an option.
struct Alphas {
  double res = 1.0;
  double tsk = 0.0;
};
Alphas gradient_scale_alphas(const std::vector<double>& dres, const std::vector<double>& dtsk,
                             const std::vector<bool>& prunable, double r, double clip_max = 0.025);

// Pruning learning rate that lets a group shrink from pi = 1 to `pi_target` within `updates` updates
// at the gradient cap: d(pi) = -lr * pi^2 * clip per update integrates to lr = (1/pi_t - 1)/(clip*n).
double pruning_lr_for(double pi_target, double updates, double clip_max = 0.025);

// Width solver for uniform scaling: the largest pi in [lo, 1] with meets(pi) true, assuming meets
// is monotone (true below some pi*, false above), by bisection (`iters` halvings). Returns 1 when
// meets(1); returns lo when even meets(lo) is false (callers check).
double solve_uniform_multiplier(const std::function<bool(double)>& meets, double lo, int iters = 30);

}  // namespace tinyprune
