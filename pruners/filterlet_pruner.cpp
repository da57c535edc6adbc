#include "pruners/filterlet_pruner.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>

#include "core/config_node.h"
#include "core/error.h"
#include "datasets/registry.h"
#include "pruners/filterlet/filterlet_units.h"
#include "pruners/importance.h"
#include "pruners/registry.h"
#include "schedulers/deployed_cost.h"

namespace tinyprune {
namespace {

std::vector<double> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kDouble).contiguous().view({-1});
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

torch::Tensor to_tensor(const Eigen::VectorXd& v) {
  torch::Tensor t = torch::empty({static_cast<int64_t>(v.size())}, torch::kDouble);
  for (Eigen::Index i = 0; i < v.size(); ++i) t[i] = v[i];
  return t;
}

Eigen::VectorXd to_eigen(const torch::Tensor& t) {
  const std::vector<double> v = to_vector(t);
  Eigen::VectorXd e(static_cast<Eigen::Index>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) e[static_cast<Eigen::Index>(i)] = v[i];
  return e;
}

// Checkpoints store the report JSON as text; JSON is YAML, so read it back through yaml-cpp.
Json json_from_yaml(const YAML::Node& n) {
  if (n.IsMap()) {
    Json j = Json::object();
    for (const auto& kv : n) j[kv.first.as<std::string>()] = json_from_yaml(kv.second);
    return j;
  }
  if (n.IsSequence()) {
    Json j = Json::array();
    for (const auto& e : n) j.push_back(json_from_yaml(e));
    return j;
  }
  if (!n.IsScalar() || n.Tag() == "tag:yaml.org,2002:null" || n.Scalar() == "null") return Json();
  const std::string s = n.Scalar();
  if (n.Tag() == "!") return Json(s);  // quoted in the text: a string
  if (s == "true" || s == "false") return Json(s == "true");
  try {
    size_t used = 0;
    const long long i = std::stoll(s, &used);
    if (used == s.size()) return Json(static_cast<int64_t>(i));
    const double d = std::stod(s, &used);
    if (used == s.size()) return Json(d);
  } catch (const std::exception&) {
  }
  return Json(s);
}

Json budget_item(const std::optional<double>& limit, int64_t achieved) {
  Json j = Json::object();
  j["budget"] = limit ? Json(*limit) : Json();
  j["achieved"] = achieved;
  j["met"] = !limit || static_cast<double>(achieved) <= *limit;
  return j;
}

std::optional<int64_t> round_budget(const std::optional<double>& target, int64_t dense, double fraction) {
  if (!target) return std::nullopt;
  const double t = std::floor(*target);
  if (t >= static_cast<double>(dense)) return static_cast<int64_t>(t);
  return static_cast<int64_t>(std::floor(static_cast<double>(dense) - fraction * (static_cast<double>(dense) - t)));
}

Json budget_json(const DtmmBudget& b) {
  Json j = Json::object();
  j["flash_bytes"] = b.flash_bytes ? Json(*b.flash_bytes) : Json();
  j["peak_memory_bytes"] = b.sram_bytes ? Json(*b.sram_bytes) : Json();
  j["macs"] = b.macs ? Json(*b.macs) : Json();
  return j;
}

}  // namespace

FilterletPrunerOptions FilterletPrunerOptions::from_yaml(ConfigNode& node) {
  FilterletPrunerOptions o;
  o.importance = node.get_choice("importance", o.importance, {"taylor", "l1"});
  o.filter_score = filter_score_form(node.get_choice("filter_score", "sum_abs", {"sum_abs", "abs_sum"}));
  o.importance_batches = node.get_int("importance_batches", o.importance_batches, 0);
  o.importance_batch_size = node.get_int("importance_batch_size", o.importance_batch_size, 1);
  ConfigNode budget = node.child("budget");
  o.budget = Budget::from_yaml(budget);
  o.timing = PruneTiming::from_yaml(node);

  ConfigNode schedule = node.child("schedule");
  o.schedule = schedule.get_choice("kind", o.schedule, {"one_shot", "iterative"});
  o.rounds = schedule.get_int("rounds", o.schedule == "iterative" ? 3 : 1, 1, 1000);
  if (o.schedule == "one_shot" && o.rounds != 1)
    throw schedule.error("rounds", "one_shot prunes in one round; use kind: iterative for several rounds");
  o.begin_epoch = schedule.get_int("begin_epoch", o.begin_epoch, -1);
  o.ramp = schedule.get_choice("ramp", o.ramp, {"linear", "cubic"});
  o.exclude = node.get_string_list("exclude");

  DtmmOptions& s = o.scheduler;
  if (node.has("importance_bound")) {
    const YAML::Node b = node.raw("importance_bound");
    bool ok = b.IsScalar();
    if (ok && b.Scalar() == "auto") {
      s.importance_bound = std::numeric_limits<double>::quiet_NaN();
    } else {
      try {
        s.importance_bound = ok ? b.as<double>() : -1.0;
      } catch (const YAML::Exception&) {
        ok = false;
      }
      if (!ok || !(s.importance_bound >= 0))
        throw node.error("importance_bound",
                         str_cat("expected a number >= 0 or auto, got \"", b.IsScalar() ? b.Scalar() : "a map/list", "\""));
    }
  }
  s.filter_bound_per_filterlet = node.get_bool("filter_bound_per_filterlet", s.filter_bound_per_filterlet);
  s.importance_slack = node.get_double("importance_slack", s.importance_slack, 1.0);
  s.importance_weight = node.get_double("importance_weight", s.importance_weight, 0.0);
  s.max_beta = node.get_double("max_filter_fraction", s.max_beta, 0.0, 1.0, false, /*max_open=*/true);
  s.max_alpha = node.get_double("max_filterlet_fraction", s.max_alpha, 0.0, 1.0);
  o.latency_model = node.get_choice("latency_model", o.latency_model, KernelCostModel::names());

  ConfigNode a = node.child("annealing");
  s.reference_temperatures = a.get_choice("temperatures", "scaled", {"scaled", "reference"}) == "reference";
  s.t0 = a.get_double("t0", s.t0, 0.0, std::numeric_limits<double>::infinity(), /*min_open=*/true);
  s.t_end = a.get_double("t_end", s.t_end, 0.0, std::numeric_limits<double>::infinity(), /*min_open=*/true);
  if (!(s.t0 > s.t_end)) throw a.error("t_end", str_cat("expected t_end < t0 = ", s.t0, ", got ", s.t_end));
  s.cooling = a.get_double("cooling", s.cooling, 0.0, 1.0, true, true);
  s.moves_per_temperature = a.get_int("moves_per_temperature", s.moves_per_temperature, 1);
  s.step = a.get_double("step", s.step, 0.0, 1.0, /*min_open=*/true);
  s.max_iterations = a.get_int("max_iterations", s.max_iterations, 0);
  s.max_repair_steps = a.get_int("max_repair_steps", s.max_repair_steps, 0);
  s.repair_step = a.get_double("repair_step", s.repair_step, 0.0, 1.0, /*min_open=*/true);
  s.seed = static_cast<uint64_t>(a.get_int("seed", 0, 0));

  if (o.budget.empty() && std::isnan(s.importance_bound))
    throw node.error("budget", "the filterlet pruner needs a budget (model_size_kb, peak_memory_kb and/or macs) or a "
                               "numeric importance_bound");
  return o;
}

FilterletPruner::FilterletPruner(FilterletPrunerOptions options)
    : Pruner("filterlet"), options_(std::move(options)) {}

std::vector<int64_t> FilterletPruner::round_steps(int64_t steps_per_epoch, int64_t total_steps) const {
  const int64_t spe = std::max<int64_t>(1, steps_per_epoch);
  const int64_t last_step = options_.timing.prune_step(spe, total_steps);
  const int64_t last_epoch = last_step / spe;
  const int64_t r = options_.rounds;
  if (r == 1) return {last_step};
  const int64_t begin = options_.begin_epoch >= 0 ? std::min(options_.begin_epoch, last_epoch)
                                                  : std::max<int64_t>(0, last_epoch - (r - 1));
  std::vector<int64_t> steps;
  for (int64_t i = 0; i < r; ++i) {
    if (i == r - 1) {
      steps.push_back(last_step);
      break;
    }
    const double e = static_cast<double>(begin) + static_cast<double>(i) * static_cast<double>(last_epoch - begin) /
                                                      static_cast<double>(r - 1);
    steps.push_back(std::clamp<int64_t>(std::llround(e) * spe, 0, last_step));
  }
  return steps;
}

void FilterletPruner::step_begin(TrainContext& ctx) {
  const std::vector<int64_t> steps = round_steps(ctx.steps_per_epoch, ctx.total_steps);
  const auto rounds = static_cast<int64_t>(steps.size());
  while (rounds_done_ < rounds && ctx.step >= steps[static_cast<size_t>(rounds_done_)]) {
    prune_round(ctx, rounds_done_, rounds);
    ++rounds_done_;
  }
}

void FilterletPruner::prune_round(TrainContext& ctx, int64_t round, int64_t rounds) {
  const Graph& graph = masks().graph();
  const FilterletUnits units = filterlet_units(graph, groups(), options_.exclude);

  FilterletImportance imp;
  if (options_.importance == "taylor") {
    TP_CHECK(ctx.data && (ctx.data->val || ctx.data->train), "filterlet pruner: Taylor importance needs data");
    if (!ctx.data->val)
      log().warn("filterlet: no validation split (data.val_fraction = 0): Taylor importance uses the training split");
    const Dataset& data = ctx.data->val ? *ctx.data->val : *ctx.data->train;
    const auto grads = average_gradients(ctx.model, data, options_.importance_batches, options_.importance_batch_size);
    imp = taylor_importance(ctx.model, groups(), units, grads, options_.filter_score);
  } else {
    imp = magnitude_importance(ctx.model, groups(), units);
  }

  std::vector<DtmmLayer> layers;
  for (int node : units.filterlet_convs) layers.push_back({node, to_vector(imp.filterlet.at(node))});
  std::vector<DtmmGroup> dgroups;
  for (int g : units.filter_groups) {
    double taps = 0;  // filterlets one channel of the group spans
    for (int p : groups().group(g).producers) taps += static_cast<double>(graph.node(p).kernel_h * graph.node(p).kernel_w);
    dgroups.push_back({g, to_vector(imp.group.at(g)), taps});
  }
  const DtmmScheduler sched(resources(), layers, dgroups, KernelCostModel::by_name(options_.latency_model));

  // This round's budget: from the dense model's value towards the target.
  const DtmmEvaluation dense = sched.evaluate(sched.zero_state());
  double f = static_cast<double>(round + 1) / static_cast<double>(rounds);
  if (options_.ramp == "cubic") f = 1.0 - std::pow(1.0 - f, 3.0);
  DtmmBudget budget;
  budget.flash_bytes = round_budget(options_.budget.model_size_bytes, dense.flash_bytes, f);
  budget.sram_bytes = round_budget(options_.budget.peak_memory_bytes, dense.sram_bytes, f);
  budget.macs = round_budget(options_.budget.macs, dense.executed_macs, f);

  const bool has_lower = state_ && state_->alpha.size() == static_cast<Eigen::Index>(layers.size()) &&
                         state_->beta.size() == static_cast<Eigen::Index>(dgroups.size());
  const DtmmResult res = sched.solve(budget, options_.scheduler, has_lower ? &*state_ : nullptr);
  state_ = res.state;

  // Masks. Units pruned in an earlier round score -1 so they are the first to go again (nesting).
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < dgroups.size(); ++i) {
    const int g = dgroups[i].group;
    const int64_t remove = res.eval.removed_filters[i];
    if (remove == 0) continue;
    torch::Tensor s = imp.group.at(g).clone();
    const torch::Tensor old = masks().channel_mask(g);
    if (old.defined()) s.masked_fill_(old.to(torch::kDouble) < 0.5, -1.0);
    masks().set_channel_mask(g, filter_keep_mask(s, remove));
  }
  layers_ = Json::array();
  for (size_t l = 0; l < layers.size(); ++l) {
    const int node = layers[l].node;
    const Node& n = graph.node(node);
    const torch::Tensor rows = masks().channel_mask(groups().group_of(node));
    const torch::Tensor keep_rows = rows.defined() ? rows : torch::ones({n.out_channels}, torch::kFloat);
    const int64_t remove = res.eval.removed_filterlets[l];
    if (remove > 0) {
      torch::Tensor s = imp.filterlet.at(node).clone();
      const torch::Tensor old = masks().filterlet_mask(node);
      if (old.defined()) s.masked_fill_(old.to(torch::kDouble) < 0.5, -1.0);
      masks().set_filterlet_mask(node, filterlet_keep_mask(s, keep_rows, remove));
    }
    const int gi = sched.layer_group(l);
    Json j = Json::object();
    j["name"] = n.name;
    j["group"] = groups().group(groups().group_of(node)).name;
    j["alpha"] = res.state.alpha[static_cast<Eigen::Index>(l)];
    j["beta"] = gi >= 0 ? res.state.beta[gi] : 0.0;
    j["filters"] = n.out_channels;
    j["kept_filters"] = keep_rows.sum().item<double>();
    j["filterlets"] = n.out_channels * n.kernel_h * n.kernel_w;
    j["kept_filterlets"] = res.eval.kept_filterlets[l];
    layers_.push_back(std::move(j));
  }
  commit(ctx);

  Json r = Json::object();
  r["round"] = round + 1;
  r["step"] = ctx.step;
  r["epoch"] = ctx.epoch;
  r["budget"] = budget_json(budget);
  r["importance_bound"] = res.importance_bound;
  r["filter_importance_bound"] = res.filter_importance_bound;
  r["iterations"] = res.iterations;
  r["feasible"] = res.feasible;
  r["accepted"] = res.accepted;
  r["rejected"] = res.rejected;
  r["from_annealing"] = res.from_annealing;
  r["seconds"] = res.seconds;
  r["flash_bytes"] = res.eval.flash_bytes;
  r["peak_memory_bytes"] = res.eval.sram_bytes;
  r["executed_macs"] = res.eval.executed_macs;
  r["latency_ratio"] = res.eval.latency / std::max(dense.latency, 1e-12);
  r["removed_importance"] = res.eval.removed_importance;
  rounds_.push_back(r);
  log().info(
      "filterlet round={}/{} step={} flash={}B/{} sram={}B/{} macs={} latency_ratio={:.3f} importance_bound={:.3g}/{:.3g} "
      "iterations={} feasible={} accepted={} annealed={} seconds={:.2f}",
      round + 1, rounds, ctx.step, res.eval.flash_bytes, budget.flash_bytes ? std::to_string(*budget.flash_bytes) : "-",
      res.eval.sram_bytes, budget.sram_bytes ? std::to_string(*budget.sram_bytes) : "-", res.eval.executed_macs,
      res.eval.latency / std::max(dense.latency, 1e-12), res.importance_bound, res.filter_importance_bound, res.iterations, res.feasible,
      res.accepted, res.from_annealing, res.seconds);
  for (const Json& l : layers_.elements())
    log().debug("filterlet layer={} alpha={:.3f} beta={:.3f} kept_filters={}/{} kept_filterlets={}/{}",
                l.find("name")->to_text(), l.find("alpha")->as_double(), l.find("beta")->as_double(),
                l.find("kept_filters")->to_text(), l.find("filters")->to_text(), l.find("kept_filterlets")->to_text(),
                l.find("filterlets")->to_text());
}

Json FilterletPruner::achieved_json() const {
  Json j = Json::object();
  if (!started()) return j;
  const std::vector<int64_t> widths = masks().kept_widths();
  std::map<int, int64_t> kept;
  for (const auto& [node, m] : masks().filterlet_masks()) {
    const torch::Tensor rows = masks().channel_mask(groups().group_of(node));
    const torch::Tensor eff = rows.defined() ? m * rows.view({-1, 1, 1}) : m;
    kept[node] = static_cast<int64_t>(std::llround(eff.sum().item<double>()));
  }
  const KernelCostModel cost = KernelCostModel::by_name(options_.latency_model);
  const DeployedCost c = deployed_cost(resources(), widths, kept, cost, /*per_op=*/true);
  const DeployedCost d = deployed_cost(resources(), groups().original_widths(), {}, cost);
  j["flash_bytes"] = c.flash_bytes;
  j["peak_memory_bytes"] = resources().evaluate(widths).peak_memory_bytes;
  j["executed_macs"] = c.executed_macs;
  j["latency"] = c.latency;
  j["latency_ratio"] = c.latency / std::max(d.latency, 1e-12);
  j["fwcs_layers"] = static_cast<int64_t>(
      std::count_if(c.ops.begin(), c.ops.end(), [](const OpCost& o) { return o.storage == "fwcs"; }));
  Json storage = Json::object();
  for (const OpCost& o : c.ops) {
    if (o.storage.empty()) continue;
    Json s = Json::object();
    s["storage"] = o.storage;
    s["weight_bytes"] = o.weight_bytes;
    s["quant_bytes"] = o.quant_bytes;
    if (o.filterlets > 0) s["kept_filterlets"] = o.kept_filterlets;
    storage[o.name] = s;
  }
  j["layers"] = storage;
  return j;
}

bool FilterletPruner::target_met() const {
  if (!started() || rounds_done_ == 0) return options_.budget.empty();
  const Json a = achieved_json();
  const Budget& b = options_.budget;
  auto ok = [&](const std::optional<double>& limit, const char* key) {
    return !limit || a.find(key)->as_double() <= *limit;
  };
  return ok(b.model_size_bytes, "flash_bytes") && ok(b.peak_memory_bytes, "peak_memory_bytes") &&
         ok(b.macs, "executed_macs");
}

Json FilterletPruner::summary() const {
  Json j = Json::object();
  j["importance"] = options_.importance;
  j["filter_score"] = options_.filter_score == FilterScoreForm::kSumAbs ? "sum_abs" : "abs_sum";
  j["schedule"] = options_.schedule;
  j["latency_model"] = options_.latency_model;
  j["flash_counts"] =
      "weight records as the exporter stores them (FWCS or dense values + index arrays + bias + multiplier + shift); "
      "blob headers excluded";
  if (!started()) return j;
  const KernelCostModel cost = KernelCostModel::by_name(options_.latency_model);
  const DeployedCost d = deployed_cost(resources(), groups().original_widths(), {}, cost);
  Json dense = Json::object();
  dense["flash_bytes"] = d.flash_bytes;
  dense["peak_memory_bytes"] = resources().evaluate().peak_memory_bytes;
  dense["executed_macs"] = d.executed_macs;
  dense["latency"] = d.latency;
  j["dense"] = dense;
  const Json a = achieved_json();
  Json budget = Json::object();
  budget["model_size_bytes"] = budget_item(options_.budget.model_size_bytes, static_cast<int64_t>(a.find("flash_bytes")->as_double()));
  budget["peak_memory_bytes"] =
      budget_item(options_.budget.peak_memory_bytes, static_cast<int64_t>(a.find("peak_memory_bytes")->as_double()));
  budget["macs"] = budget_item(options_.budget.macs, static_cast<int64_t>(a.find("executed_macs")->as_double()));
  j["budget"] = budget;
  j["achieved"] = a;
  j["rounds"] = rounds_;
  j["strategy"] = layers_;
  return j;
}

void FilterletPruner::save_extra(torch::serialize::OutputArchive& archive) const {
  archive.write("rounds_done", torch::tensor(rounds_done_, torch::kInt64));
  if (state_) {
    archive.write("alpha", to_tensor(state_->alpha));
    archive.write("beta", to_tensor(state_->beta));
  }
  archive.write("report_rounds", c10::IValue(rounds_.dump()));
  archive.write("report_layers", c10::IValue(layers_.dump()));
}

void FilterletPruner::load_extra(torch::serialize::InputArchive& archive) {
  torch::Tensor t;
  if (archive.try_read("rounds_done", t)) rounds_done_ = t.item<int64_t>();
  torch::Tensor a, b;
  if (archive.try_read("alpha", a) && archive.try_read("beta", b)) state_ = DtmmState{to_eigen(a), to_eigen(b)};
  c10::IValue v;
  if (archive.try_read("report_rounds", v) && v.isString()) rounds_ = json_from_yaml(YAML::Load(v.toStringRef()));
  if (archive.try_read("report_layers", v) && v.isString()) layers_ = json_from_yaml(YAML::Load(v.toStringRef()));
}

void register_filterlet_pruner(PrunerRegistry& registry) {
  if (registry.contains("filterlet")) return;
  registry.add("filterlet",
               "DTMM filterlet pruning: Taylor importance, latency-minimising strategy under flash/SRAM budgets",
               [](ConfigNode& section) -> std::unique_ptr<Pruner> {
                 return std::make_unique<FilterletPruner>(FilterletPrunerOptions::from_yaml(section));
               },
               "{method: filterlet, budget: {model_size_kb: 40}, prune_epoch: 1, annealing: {max_iterations: 300}}");
}

}  // namespace tinyprune
