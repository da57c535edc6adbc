#include "pruners/differentiable_pruner.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <random>

#include "core/config_node.h"
#include "core/error.h"
#include "datasets/dataset.h"
#include "datasets/splits.h"
#include "pruners/registry.h"

namespace tinyprune {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// `key: auto` or a number in (0, max]: nullopt for auto (also when absent).
std::optional<double> auto_or_number(ConfigNode& node, const std::string& key, double min, bool min_open) {
  const std::string text = node.get_string(key, "auto");
  if (text == "auto") return std::nullopt;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0')
    throw node.error(key, str_cat("expected auto or a number ", min_open ? "> " : ">= ", min, ", got \"", text, "\""));
  return node.get_double(key, 0.0, min, std::numeric_limits<double>::infinity(), min_open);
}

const char* objective_name(DifferentiableOptions::Objective o) {
  switch (o) {
    case DifferentiableOptions::Objective::kTask: return "task";
    case DifferentiableOptions::Objective::kResource: return "resource";
    default: return "both";
  }
}

// Restores a model's output masks and training mode when leaving a scope (also on exceptions).
class MaskRestorer {
 public:
  explicit MaskRestorer(GraphModule& model) : model_(model), training_(model->is_training()) {
    for (int id = 0; id < model->graph().size(); ++id) saved_.push_back(model->output_mask(id));
  }
  ~MaskRestorer() {
    for (int id = 0; id < static_cast<int>(saved_.size()); ++id) model_->set_output_mask(id, saved_[static_cast<size_t>(id)]);
    model_->train(training_);
  }
  const torch::Tensor& saved(int id) const { return saved_[static_cast<size_t>(id)]; }

 private:
  GraphModule& model_;
  bool training_;
  std::vector<torch::Tensor> saved_;
};

std::vector<double> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace

// --- options -----------------------------------------------------------------------------------------

DifferentiableOptions DifferentiableOptions::from_yaml(ConfigNode& s) {
  DifferentiableOptions o;
  if (!s.has("budget")) {
    s.child("budget");
    throw s.error("budget",
                  "the differentiable pruner needs a budget: {peak_memory_kb: .., model_size_kb: .., macs: ..} (any "
                  "subset, at least one)");
  }
  ConfigNode b = s.child("budget");
  o.budget = Budget::from_yaml(b);
  if (o.budget.empty())
    throw s.error("budget", "empty budget: give at least one of peak_memory_kb, model_size_kb, macs");
  // b.location() rather than s.location("budget"): ConfigNode::location(key) re-seats a node alias
  // onto the child (yaml-cpp assignment semantics), which overwrites the parent map's content.
  o.budget_where = b.location() + ": " + s.path("budget");
  o.start_epoch = s.get_double("start_epoch", 0.0, 0.0);
  o.update_every = s.get_int("update_every", 20, 1);
  o.lr = auto_or_number(s, "lr", 0.0, true);
  o.alpha_from_gradients = s.get_choice("alpha_rule", "gradient", {"gradient", "loss"}) == "gradient";
  o.alpha_res = auto_or_number(s, "alpha_res", 0.0, false);
  o.alpha_tsk = auto_or_number(s, "alpha_tsk", 0.0, false);
  o.alpha_ratio = s.get_double("alpha_ratio", 2.0 / 3.0, 0.0, 100.0, true);
  const std::string obj = s.get_choice("objective", "both", {"both", "task", "resource"});
  o.objective = obj == "task" ? Objective::kTask : obj == "resource" ? Objective::kResource : Objective::kBoth;
  o.scalarisation =
      s.get_choice("scalarisation", "random", {"random", "sum"}) == "sum" ? Scalarisation::kSum : Scalarisation::kRandom;
  o.pmu_exact = s.get_choice("pmu", "exact", {"exact", "naive"}) == "exact";
  o.focus = s.get_bool("focus", true);
  o.clip = s.get_double("clip", 0.025, 0.0, std::numeric_limits<double>::infinity(), true);
  o.solve_s0 = s.get_choice("s0", "solve", {"solve", "threshold"}) == "solve";
  o.val_batch_size = s.get_int("val_batch_size", 128, 1);
  o.final_phase = s.get_double("final_phase", 0.1, 0.0, 1.0, false, true);
  o.early_termination = s.get_bool("early_termination", false);
  o.early_termination_delay = s.get_int("early_termination_delay", 0, 0);
  if (o.objective == Objective::kResource && o.alpha_res && *o.alpha_res == 0.0)
    throw s.error("alpha_res", "objective: resource with alpha_res: 0 would never shrink anything");
  return o;
}

// --- pure-ish helpers ----------------------------------------------------------------------------------

std::vector<double> group_salience(GraphModule& model, const ChannelGroup& group) {
  torch::NoGradGuard no_grad;
  const Graph& graph = model->graph();
  torch::Tensor best;
  auto take = [&](const torch::Tensor& s) { best = best.defined() ? torch::maximum(best, s) : s.clone(); };
  for (int m : group.members)
    if (graph.node(m).kind == OpKind::kBatchNorm) take(model->batch_norm(m)->weight.detach().abs().to(torch::kDouble));
  if (!best.defined())
    for (int p : group.producers) {
      const torch::Tensor w = model->weight(p).detach().to(torch::kDouble);
      take(w.reshape({w.size(0), -1}).norm(2, 1));
    }
  if (!best.defined()) best = torch::ones({group.channels}, torch::kDouble);
  TP_CHECK(best.numel() == group.channels, "salience of group \"", group.name, "\" has ", best.numel(),
           " entries, expected ", group.channels);
  // A zero gamma would make ln s undefined (algorithms.md 2.2: add 1e-8).
  return to_vector(best.nan_to_num(0.0) + 1e-8);
}

double mask_gradients(GraphModule& model, const ChannelGroups& groups, const torch::Tensor& images,
                      const torch::Tensor& labels, std::vector<std::vector<double>>& grads) {
  grads.assign(static_cast<size_t>(groups.size()), {});
  MaskRestorer restore(model);
  std::vector<torch::Tensor> leaves(static_cast<size_t>(groups.size()));
  for (int id = 0; id < model->graph().size(); ++id) {
    const torch::Tensor& m = restore.saved(id);
    if (!m.defined()) continue;
    torch::Tensor& leaf = leaves[static_cast<size_t>(groups.group_of(id))];
    if (!leaf.defined()) leaf = m.detach().clone().set_requires_grad(true);
    model->set_output_mask(id, leaf);
  }
  std::vector<torch::Tensor> inputs;
  std::vector<int> which;
  for (int g = 0; g < groups.size(); ++g)
    if (leaves[static_cast<size_t>(g)].defined()) {
      inputs.push_back(leaves[static_cast<size_t>(g)]);
      which.push_back(g);
    }
  model->eval();  // BN running statistics stay as training left them
  torch::AutoGradMode grad_mode(true);
  const torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(images), labels);
  if (!inputs.empty()) {
    // Only the mask leaves are requested: parameter gradients are neither computed nor touched.
    const auto out = torch::autograd::grad({loss}, inputs, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                           /*allow_unused=*/true);
    for (size_t k = 0; k < which.size(); ++k) {
      const size_t g = static_cast<size_t>(which[k]);
      grads[g] = out[k].defined() ? to_vector(out[k]) : std::vector<double>(static_cast<size_t>(inputs[k].numel()), 0.0);
    }
  }
  return loss.item<double>();
}

// --- the pruner -----------------------------------------------------------------------------------------

DifferentiablePruner::DifferentiablePruner(DifferentiableOptions options)
    : Pruner("differentiable"), opt_(std::move(options)) {}

std::vector<double> DifferentiablePruner::multipliers() const {
  std::vector<double> pi(theta_.size(), 1.0);
  for (size_t g = 0; g < theta_.size(); ++g)
    if (g < prunable_.size() && prunable_[g]) pi[g] = std::min(1.0, std::exp(theta_[g]));
  return pi;
}

void DifferentiablePruner::train_begin(TrainContext& ctx) {
  const ChannelGroups& gs = groups();
  const size_t n = static_cast<size_t>(gs.size());
  prunable_.assign(n, false);
  min_theta_.assign(n, 0.0);
  for (const ChannelGroup& g : gs.groups()) {
    prunable_[static_cast<size_t>(g.id)] = g.prunable && g.channels > 1;
    min_theta_[static_cast<size_t>(g.id)] = -std::log(static_cast<double>(std::max<int64_t>(1, g.channels)));
  }
  if (restored_) {
    TP_CHECK(theta_.size() == n, "differentiable pruner: the checkpoint holds multipliers for ", theta_.size(),
             " channel groups, the model has ", n);
  } else {
    theta_.assign(n, 0.0);
  }
  total_steps_ = ctx.total_steps;
  start_step_ = std::llround(opt_.start_epoch * static_cast<double>(ctx.steps_per_epoch));
  final_step_ = total_steps_ - std::llround(opt_.final_phase * static_cast<double>(total_steps_));
  if (compacted()) {
    log().info("differentiable: resumed after early termination (compacted at step {}); pruning is over",
               compact_step_);
    return;
  }
  TP_CHECK(std::any_of(prunable_.begin(), prunable_.end(), [](bool b) { return b; }),
           "differentiable pruner: the model has no prunable channel group (every group feeds the classifier, comes "
           "from the input or has a single channel)");

  // A budget that one channel per prunable group cannot meet is unreachable: say so before training.
  std::vector<int64_t> minimal = gs.original_widths();
  for (size_t g = 0; g < n; ++g)
    if (prunable_[g]) minimal[g] = 1;
  const ResourceReport floor_report = resources().evaluate(minimal);
  if (!opt_.budget.met_by(floor_report))
    throw ConfigError(str_cat(opt_.budget_where, ": unreachable: even with one channel in every prunable group the "
                              "model needs ", opt_.budget.violations(floor_report),
                              " (the input tensor and the groups feeding the classifier are never pruned); raise "
                              "the budget or start from a smaller model"));

  // Uniform scaling that meets the budgets (by the objective's PMU metric): sets the automatic lr.
  auto meets = [&](double p) {
    std::vector<double> pi(n, 1.0);
    for (size_t g = 0; g < n; ++g)
      if (prunable_[g]) pi[g] = p;
    ResourceReport r = resources().evaluate_multipliers(pi);
    if (!opt_.pmu_exact) r.peak_memory_bytes = r.peak_memory_naive_bytes;
    return opt_.budget.met_by(r);
  };
  pi_uniform_ = solve_uniform_multiplier(meets, 1e-4, 20);
  const double window = static_cast<double>(std::max<int64_t>(1, (final_step_ - start_step_) / opt_.update_every));
  // At the cap the uniform width would be reached in a quarter of the updates; the alphas put the
  // median group near (not at) the cap and the task term pushes back, so in practice budgets are
  // met around mid-way, leaving the second half for masks to settle.
  lr_ = opt_.lr ? *opt_.lr : pruning_lr_for(pi_uniform_, 0.25 * window, opt_.clip);
  if (start_step_ >= total_steps_)
    log().warn("differentiable: start_epoch {} is at or after the end of training ({} steps): nothing will be pruned",
               opt_.start_epoch, total_steps_);
  log().info(
      "differentiable: groups={} prunable={} start_step={} final_step={} update_every={} lr={:.4g}{} "
      "uniform_pi={:.3f} objective={} pmu={} scalarisation={} budget=[{}]",
      n, std::count(prunable_.begin(), prunable_.end(), true), start_step_, final_step_, opt_.update_every, lr_,
      opt_.lr ? "" : " (auto)", pi_uniform_, objective_name(opt_.objective), opt_.pmu_exact ? "exact" : "naive",
      opt_.scalarisation == Scalarisation::kSum ? "sum" : "random",
      opt_.budget.to_json(resources().evaluate()).dump());
}

void DifferentiablePruner::step_begin(TrainContext&) { step_start_ = Clock::now(); }

DifferentiablePruner::Evaluated DifferentiablePruner::evaluate_pi() const {
  Evaluated e;
  e.res = resources().gradients(multipliers());
  const ResourceReport& r = e.res.report;
  auto add = [&](const char* name, double value, double budget, const std::vector<double>& grad) {
    ResourceTerm t;
    t.name = name;
    t.value = value;
    t.budget = budget;
    t.grad = grad;
    e.terms.push_back(std::move(t));
  };
  if (opt_.budget.peak_memory_bytes) {
    if (opt_.pmu_exact)
      add("peak_memory", static_cast<double>(r.peak_memory_bytes), *opt_.budget.peak_memory_bytes,
          e.res.peak_memory_bytes);
    else
      add("peak_memory", static_cast<double>(r.peak_memory_naive_bytes), *opt_.budget.peak_memory_bytes,
          e.res.peak_memory_naive_bytes);
  }
  if (opt_.budget.model_size_bytes)
    add("model_size", static_cast<double>(r.model_size_bytes), *opt_.budget.model_size_bytes, e.res.model_size_bytes);
  if (opt_.budget.macs) add("macs", static_cast<double>(r.macs), *opt_.budget.macs, e.res.macs);
  e.met = std::none_of(e.terms.begin(), e.terms.end(), [](const ResourceTerm& t) { return t.violated(); });
  return e;
}

void DifferentiablePruner::validation_batch(TrainContext& ctx, torch::Tensor& images, torch::Tensor& labels) {
  TP_CHECK(ctx.data && ctx.data->train, "differentiable pruner: no data in the training context");
  const Dataset* d = ctx.data->val ? ctx.data->val.get() : ctx.data->train.get();
  if (!ctx.data->val && !warned_no_val_) {
    log().warn("differentiable: no validation split (data.val_fraction: 0); the task loss uses training images");
    warned_no_val_ = true;
  }
  const int64_t n = d->size();
  const int64_t bs = std::min(opt_.val_batch_size, n);
  const int64_t per_cycle = std::max<int64_t>(1, n / bs);
  const int64_t cycle = task_batches_ / per_cycle, pos = task_batches_ % per_cycle;
  // A seeded permutation per pass over the split: batch k is a function of (seed, k) only, so a
  // resumed run draws the same batches.
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  std::mt19937_64 rng(splitmix64(ctx.seed ^ splitmix64(static_cast<uint64_t>(cycle) + 0x5eed)));
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(rng() % static_cast<uint64_t>(i + 1))]);
  const std::vector<int64_t> idx(perm.begin() + pos * bs, perm.begin() + (pos + 1) * bs);
  const Batch b = d->get_unaugmented_batch(idx);
  images = b.images;
  labels = b.labels;
  ++task_batches_;
}

std::vector<double> DifferentiablePruner::task_gradient(TrainContext& ctx,
                                                        const std::vector<std::vector<double>>& salience,
                                                        double& p_tsk) {
  torch::Tensor images, labels;
  validation_batch(ctx, images, labels);
  std::vector<std::vector<double>> g;
  p_tsk = mask_gradients(ctx.model, groups(), images, labels, g);
  const std::vector<double> pi = multipliers();
  std::vector<double> out(theta_.size(), 0.0);
  for (size_t k = 0; k < out.size(); ++k) {
    if (!prunable_[k] || g[k].empty()) continue;
    const double s0 = opt_.solve_s0 ? 0.0 : hard_threshold(salience[k], kept_count(pi[k], static_cast<int64_t>(g[k].size())));
    out[k] = eq9_gradient(salience[k], pi[k], g[k], s0).dp_dpi;
  }
  return out;
}

double DifferentiablePruner::refresh_masks(TrainContext& ctx, const std::vector<std::vector<double>>& salience,
                                           bool force_commit) {
  const std::vector<double> pi = multipliers();
  int64_t changed = 0, total = 0;
  bool any = false;
  for (const ChannelGroup& g : groups().groups()) {
    const size_t k = static_cast<size_t>(g.id);
    if (!prunable_[k]) continue;
    const std::vector<float> m = top_k_mask(salience[k], kept_count(pi[k], g.channels));
    const torch::Tensor t = torch::tensor(m, torch::kFloat);
    const torch::Tensor old = masks().channel_mask(g.id);
    total += g.channels;
    if (old.defined() && old.equal(t)) continue;
    changed += old.defined() ? old.ne(t).sum().item<int64_t>() : t.eq(0).sum().item<int64_t>();
    masks().set_channel_mask(g.id, t);
    any = true;
  }
  if (any || force_commit) {
    const auto t0 = Clock::now();
    commit(ctx);
    commit_seconds_ += seconds_since(t0);
  }
  return total > 0 ? static_cast<double>(changed) / static_cast<double>(total) : 0.0;
}

void DifferentiablePruner::update(TrainContext& ctx) {
  const auto t0 = Clock::now();
  const ChannelGroups& gs = groups();
  std::vector<std::vector<double>> salience(static_cast<size_t>(gs.size()));
  for (const ChannelGroup& g : gs.groups())
    if (prunable_[static_cast<size_t>(g.id)]) salience[static_cast<size_t>(g.id)] = group_salience(ctx.model, g);
  // The first update puts a mask on every prunable group, so the task pass sees all of them.
  if (masks().channel_masks().empty()) refresh_masks(ctx, salience, /*force_commit=*/true);

  Json rec = Json::object();
  if (!pi_frozen()) {
    const Evaluated e = evaluate_pi();
    if (!e.res.report.peak_memory_exact && !warned_inexact_) {
      log().warn("differentiable: {}", e.res.report.peak_memory_note);
      warned_inexact_ = true;
    }
    rec["dp_peak_memory_exact_bytes"] = e.res.report.peak_memory_bytes;
    rec["dp_peak_memory_naive_bytes"] = e.res.report.peak_memory_naive_bytes;
    if (e.met) {
      frozen_step_ = ctx.step;
      log().info("differentiable: every budget holds at step {} after {} updates: widths frozen ({})", ctx.step,
                 updates_, opt_.budget.to_json(e.res.report).dump());
    } else {
      const size_t n = theta_.size();
      const bool use_res = opt_.objective != DifferentiableOptions::Objective::kTask;
      const bool use_tsk = opt_.objective != DifferentiableOptions::Objective::kResource;
      ResourceLoss res;
      res.grad.assign(n, 0.0);
      if (use_res)
        res = resource_loss(e.terms, opt_.scalarisation, splitmix64(ctx.seed ^ splitmix64(static_cast<uint64_t>(updates_))), n);
      double p_tsk = 0.0;
      std::vector<double> dtsk;
      if (use_tsk || !alpha_set_) dtsk = task_gradient(ctx, salience, p_tsk);
      if (!alpha_set_) {
        p_res_init_ = max_violation(e.terms);
        p_tsk_init_ = p_tsk;
        Alphas a;
        if (opt_.alpha_from_gradients) {
          // Scales from the deterministic (summed) resource gradient, not this update's random pick.
          a = gradient_scale_alphas(resource_loss(e.terms, Scalarisation::kSum, 0, n).grad, dtsk, prunable_,
                                    opt_.alpha_ratio, opt_.clip);
        } else {
          a.res = 1.0;
          a.tsk = trade_off_alpha(p_res_init_, p_tsk_init_, opt_.alpha_ratio);
        }
        alpha_res_ = opt_.alpha_res ? *opt_.alpha_res : a.res;
        alpha_tsk_ = opt_.alpha_tsk ? *opt_.alpha_tsk : a.tsk;
        alpha_set_ = true;
        log().info("differentiable: P_RES_init={:.4f} P_TSK_init={:.4f} alpha_res={:.4g}{} alpha_tsk={:.4g}{}",
                   p_res_init_, p_tsk_init_, alpha_res_, opt_.alpha_res ? "" : " (auto)", alpha_tsk_,
                   opt_.alpha_tsk ? "" : " (auto)");
      }
      // Final phase still over budget: resource pressure alone at the cap on every group the chosen
      // objective touches, so the run ends within budget whenever the remaining updates allow.
      const bool rescue = use_res && ctx.step >= final_step_;
      std::vector<double> g =
          rescue ? std::vector<double>(n, 0.0)
                 : combine_pi_gradient(use_res ? res.grad : std::vector<double>{}, use_tsk ? dtsk : std::vector<double>{},
                                       use_res ? alpha_res_ : 0.0, use_tsk ? alpha_tsk_ : 0.0, prunable_,
                                       opt_.focus && use_res, opt_.clip);
      if (rescue) {
        for (size_t k = 0; k < n; ++k) g[k] = prunable_[k] && res.grad[k] > 0 ? opt_.clip : 0.0;
        rec["dp_rescue"] = true;
      }
      update_theta(theta_, g, lr_, min_theta_);
      rec["dp_p_res"] = res.value;
      if (use_tsk) rec["dp_p_tsk"] = p_tsk;
      if (res.chosen >= 0) rec["dp_objective"] = e.terms[static_cast<size_t>(res.chosen)].name;
      rec["dp_groups_moved"] = static_cast<int64_t>(std::count_if(g.begin(), g.end(), [](double v) { return v > 0; }));
    }
  }
  const double change = refresh_masks(ctx, salience, /*force_commit=*/false);
  ++updates_;
  const std::vector<double> pi = multipliers();
  double sum = 0;
  int64_t cnt = 0;
  for (size_t k = 0; k < pi.size(); ++k)
    if (prunable_[k]) {
      sum += pi[k];
      ++cnt;
    }
  rec["dp_update"] = updates_;
  rec["dp_pi_mean"] = cnt ? sum / static_cast<double>(cnt) : 1.0;
  rec["dp_pi_min"] = *std::min_element(pi.begin(), pi.end());
  rec["dp_mask_change"] = change;
  rec["dp_frozen"] = pi_frozen();
  pruning_seconds_ += seconds_since(t0);
  if (ctx.record)
    for (const auto& kv : rec.items()) (*ctx.record)[kv.first] = kv.second;
  SPDLOG_LOGGER_DEBUG((&log()), "differentiable: update={} step={} {}", updates_, ctx.step, rec.dump());
}

void DifferentiablePruner::after_step(TrainContext& ctx) {
  const double dt = seconds_since(step_start_);
  if (compacted()) {
    step_seconds_after_ += dt;
    ++steps_after_;
    return;
  }
  step_seconds_before_ += dt;
  ++steps_before_;
  if (ctx.step < start_step_ || ctx.step % opt_.update_every != 0 || masks_frozen_step_ >= 0) return;
  if (ctx.step >= final_step_) {
    if (pi_frozen() && !masks().channel_masks().empty()) {
      masks_frozen_step_ = ctx.step;
      log().info("differentiable: final phase from step {}: masks frozen", ctx.step);
      return;
    }
    if (!pi_frozen() && !warned_final_) {
      log().warn("differentiable: the budgets are not met at the final phase (step {}); widths keep shrinking on "
                 "resource pressure alone",
                 ctx.step);
      warned_final_ = true;
    }
  }
  update(ctx);
  if (opt_.early_termination && pi_frozen() && !masks().channel_masks().empty() &&
      (ctx.step - frozen_step_) / opt_.update_every >= opt_.early_termination_delay) {
    macs_before_compaction_ = resources().evaluate().macs;
    compact_now(ctx);
    compact_step_ = ctx.step;
    macs_at_compaction_ = resources().evaluate().macs;
    log().info("differentiable: early termination at step {}: training the compacted model ({} -> {} MACs) for the "
               "remaining {} steps",
               ctx.step, macs_before_compaction_, macs_at_compaction_, total_steps_ - ctx.step);
  }
}

void DifferentiablePruner::train_end(TrainContext& ctx) {
  if (!pi_frozen() && !compacted() && started() && !theta_.empty() && evaluate_pi().met) frozen_step_ = ctx.step;
  const ResourceReport achieved = current_resources();
  const std::string over = opt_.budget.violations(achieved);
  if (over.empty())
    log().info("differentiable: every budget met: {} ({} updates, pruning {:.1f} s)",
               opt_.budget.to_json(achieved).dump(), updates_, pruning_seconds_);
  else
    log().error("differentiable: the pruned model is OVER BUDGET: {}. Widths {} ({} updates, lr {:.4g}); give pruning "
                "more updates (earlier start_epoch, more epochs, smaller update_every) or a larger lr",
                over, pi_frozen() ? "froze early (a naive PMU objective under-estimates the true peak)" : "were still shrinking",
                updates_, lr_);
}

bool DifferentiablePruner::target_met() const { return started() && opt_.budget.met_by(current_resources()); }

Json DifferentiablePruner::summary() const {
  Json s = Json::object();
  if (!started()) return s;
  const ResourceReport achieved = current_resources();
  const std::string over = opt_.budget.violations(achieved);
  s["budget"] = opt_.budget.to_json(achieved);
  s["budgets_met"] = over.empty();
  s["message"] = over.empty() ? std::string("every budget met") : "over budget: " + over;
  s["peak_memory_naive_bytes"] = achieved.peak_memory_naive_bytes;
  s["objective"] = objective_name(opt_.objective);
  s["pmu_objective"] = opt_.pmu_exact ? "exact" : "naive";
  s["scalarisation"] = opt_.scalarisation == Scalarisation::kSum ? "sum" : "random";
  s["lr"] = lr_;
  s["lr_auto"] = !opt_.lr.has_value();
  s["uniform_pi"] = pi_uniform_;
  s["alpha_rule"] = opt_.alpha_from_gradients ? "gradient" : "loss";
  s["alpha_res"] = alpha_res_;
  s["alpha_tsk"] = alpha_tsk_;
  s["p_res_init"] = p_res_init_;
  s["p_tsk_init"] = p_tsk_init_;
  s["updates"] = updates_;
  s["pi_frozen_step"] = pi_frozen() ? Json(frozen_step_) : Json();
  s["masks_frozen_step"] = masks_frozen_step_ >= 0 ? Json(masks_frozen_step_) : Json();
  s["pruning_seconds"] = pruning_seconds_;
  // Part of pruning_seconds spent in Pruner::commit (the first one evaluates the unpruned model on
  // the test split for "accuracy before").
  s["commit_seconds"] = commit_seconds_;
  if (!compacted()) {
    Json gj = Json::object();
    const std::vector<double> pi = multipliers();
    const std::vector<int64_t> kept = masks().kept_widths();
    for (const ChannelGroup& g : groups().groups()) {
      const size_t k = static_cast<size_t>(g.id);
      if (k >= prunable_.size() || !prunable_[k]) continue;
      Json e = Json::object();
      e["channels"] = g.channels;
      e["kept"] = kept[k];
      e["pi"] = pi[k];
      gj[g.name] = e;
    }
    s["groups"] = gj;
  }
  if (opt_.early_termination) {
    Json et = Json::object();
    et["step"] = compacted() ? Json(compact_step_) : Json();
    if (compacted()) {
      const double before = steps_before_ ? step_seconds_before_ / static_cast<double>(steps_before_) : 0.0;
      const double after = steps_after_ ? step_seconds_after_ / static_cast<double>(steps_after_) : 0.0;
      et["step_seconds_masked"] = before;
      et["step_seconds_compacted"] = after;
      et["steps_compacted"] = steps_after_;
      // Measured: the compacted steps, had they run at the masked model's speed.
      et["seconds_saved"] = static_cast<double>(steps_after_) * (before - after);
      et["macs_masked"] = macs_before_compaction_;
      et["macs_compacted"] = macs_at_compaction_;
      // Forward MACs of the whole run saved by training the small model (the paper's measure).
      et["compute_saved_fraction"] =
          total_steps_ > 0 && macs_before_compaction_ > 0
              ? static_cast<double>(steps_after_) / static_cast<double>(total_steps_) *
                    (1.0 - static_cast<double>(macs_at_compaction_) / static_cast<double>(macs_before_compaction_))
              : 0.0;
    }
    s["early_termination"] = et;
  }
  return s;
}

void DifferentiablePruner::save_extra(torch::serialize::OutputArchive& archive) const {
  archive.write("dp_theta", torch::tensor(theta_, torch::kFloat64));
  const std::vector<int64_t> ints = {updates_,      frozen_step_,  masks_frozen_step_,      compact_step_,
                                     task_batches_, alpha_set_ ? 1 : 0, steps_before_, steps_after_,
                                     macs_before_compaction_, macs_at_compaction_};
  archive.write("dp_ints", torch::tensor(ints, torch::kInt64));
  const std::vector<double> reals = {alpha_tsk_,          p_res_init_,         p_tsk_init_,     pruning_seconds_,
                                     step_seconds_before_, step_seconds_after_, commit_seconds_, alpha_res_};
  archive.write("dp_reals", torch::tensor(reals, torch::kFloat64));
}

void DifferentiablePruner::load_extra(torch::serialize::InputArchive& archive) {
  // A fresh tensor per key: try_read into a defined tensor set_()s its storage and keeps the old
  // dtype, which would reinterpret the int64 entries as doubles.
  torch::Tensor t;
  if (!archive.try_read("dp_theta", t)) return;  // a checkpoint written before the first update
  theta_ = to_vector(t);
  restored_ = true;
  t = torch::Tensor();
  if (archive.try_read("dp_ints", t)) {
    const torch::Tensor c = t.to(torch::kInt64).contiguous();
    TP_CHECK(c.numel() == 10, "differentiable pruner: corrupt checkpoint state (dp_ints has ", c.numel(), " entries)");
    const int64_t* v = c.data_ptr<int64_t>();
    updates_ = v[0];
    frozen_step_ = v[1];
    masks_frozen_step_ = v[2];
    compact_step_ = v[3];
    task_batches_ = v[4];
    alpha_set_ = v[5] != 0;
    steps_before_ = v[6];
    steps_after_ = v[7];
    macs_before_compaction_ = v[8];
    macs_at_compaction_ = v[9];
  }
  t = torch::Tensor();
  if (archive.try_read("dp_reals", t)) {
    const std::vector<double> v = to_vector(t);
    TP_CHECK(v.size() == 8, "differentiable pruner: corrupt checkpoint state (dp_reals has ", v.size(), " entries)");
    alpha_tsk_ = v[0];
    p_res_init_ = v[1];
    p_tsk_init_ = v[2];
    pruning_seconds_ = v[3];
    step_seconds_before_ = v[4];
    step_seconds_after_ = v[5];
    commit_seconds_ = v[6];
    alpha_res_ = v[7];
  }
}

void register_differentiable_pruner(PrunerRegistry& registry) {
  registry.add(
      "differentiable",
      "differentiable channel pruning to MCU budgets (exact peak memory, int8 flash, MACs) in one run (Liberis & Lane)",
      [](ConfigNode& c) { return std::make_unique<DifferentiablePruner>(DifferentiableOptions::from_yaml(c)); },
      "{method: differentiable, budget: {macs: 1.0e6}, update_every: 2, lr: 8, final_phase: 0.2}");
}

}  // namespace tinyprune
