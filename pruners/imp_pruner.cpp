#include "pruners/imp_pruner.h"

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <sstream>

#include "core/config_node.h"
#include "core/error.h"
#include "core/resources/resource_model.h"
#include "core/train/evaluate.h"
#include "core/train/train_options.h"
#include "core/train/trainer.h"
#include "datasets/dataset.h"
#include "datasets/registry.h"
#include "pruners/registry.h"
#include "pruners/structural.h"

namespace tinyprune {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Level-end work builds modules (GraphModule's constructor initialises from the global RNG) and
// may train a control model; none of that may change the main run's random stream, or a resumed
// run (whose RNG state comes from the checkpoint) would diverge from an uninterrupted one.
class RngGuard {
 public:
  RngGuard() {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    state_ = gen.get_state();
  }
  ~RngGuard() {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state_);
  }
  RngGuard(const RngGuard&) = delete;
  RngGuard& operator=(const RngGuard&) = delete;

 private:
  torch::Tensor state_;
};

torch::Tensor string_tensor(const std::string& s) {
  auto t = torch::empty({static_cast<int64_t>(s.size())}, torch::kUInt8);
  if (!s.empty()) std::memcpy(t.data_ptr(), s.data(), s.size());
  return t;
}

std::string tensor_string(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()));
}

// JSON text (written by Json::dump) back into a Json value, through yaml-cpp (JSON is YAML).
Json yaml_to_json(const YAML::Node& n) {
  if (n.IsMap()) {
    Json j = Json::object();
    for (auto it = n.begin(); it != n.end(); ++it) j[it->first.as<std::string>()] = yaml_to_json(it->second);
    return j;
  }
  if (n.IsSequence()) {
    Json a = Json::array();
    for (const auto& item : n) a.push_back(yaml_to_json(item));
    return a;
  }
  if (!n.IsScalar()) return Json();
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return Json(s);  // quoted: a string
  if (s == "null" || s == "~") return Json();
  if (s == "true") return Json(true);
  if (s == "false") return Json(false);
  int64_t i = 0;
  auto [ip, iec] = std::from_chars(s.data(), s.data() + s.size(), i);
  if (iec == std::errc() && ip == s.data() + s.size()) return Json(i);
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (end == s.c_str() + s.size() && !s.empty()) return Json(d);
  return Json(s);
}

void copy_state(GraphModule& from, GraphModule& to) {
  torch::NoGradGuard no_grad;
  auto dst_params = to->named_parameters(/*recurse=*/true);
  for (const auto& kv : from->named_parameters(/*recurse=*/true)) dst_params[kv.key()].copy_(kv.value());
  auto dst_buffers = to->named_buffers(/*recurse=*/true);
  for (const auto& kv : from->named_buffers(/*recurse=*/true)) dst_buffers[kv.key()].copy_(kv.value());
}

// A deep copy (same graph, weights, buffers, training flag; no output masks).
GraphModule copy_model(GraphModule& src) {
  RngGuard rng;
  GraphModule dst(src->graph());
  copy_state(src, dst);
  dst->train(src->is_training());
  return dst;
}

int64_t nonzero_params(GraphModule& model) {
  int64_t n = 0;
  for (const auto& p : model->parameters()) n += p.count_nonzero().item<int64_t>();
  return n;
}

EvalResult evaluate_test(GraphModule& model, const TrainContext& ctx) {
  const int64_t bs = ctx.options ? ctx.options->eval_batch_size : 512;
  const int64_t workers = ctx.options ? ctx.options->workers : 1;
  const bool was_training = model->is_training();
  EvalResult r = evaluate(model, ctx.data->test, bs, workers, ctx.comm);
  model->train(was_training);
  return r;
}

struct Latency {
  double median_ms = 0.0, min_ms = 0.0;
};

// Wall time (ms) of one forward of `x` per model, eval mode, no grad, after 3 warm-up runs each.
// The models are timed in turns (A B C A B C ...) so that load from other processes hits all of
// them alike; the median and the minimum over `reps` turns are reported.
std::vector<Latency> interleaved_latency(const std::vector<GraphModule>& models, const torch::Tensor& x,
                                         int64_t reps) {
  torch::NoGradGuard no_grad;
  std::vector<bool> was_training;
  for (GraphModule m : models) {
    was_training.push_back(m->is_training());
    m->eval();
    for (int i = 0; i < 3; ++i) m->forward(x);
  }
  std::vector<std::vector<double>> ms(models.size());
  for (int64_t r = 0; r < reps; ++r)
    for (size_t i = 0; i < models.size(); ++i) {
      GraphModule m = models[i];
      const auto t0 = std::chrono::steady_clock::now();
      m->forward(x);
      ms[i].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  std::vector<Latency> out;
  for (size_t i = 0; i < models.size(); ++i) {
    GraphModule m = models[i];
    m->train(was_training[i]);
    std::sort(ms[i].begin(), ms[i].end());
    out.push_back(Latency{ms[i][ms[i].size() / 2], ms[i].front()});
  }
  return out;
}

// Keeps a fixed MaskSet applied during the random re-initialisation control run.
class FixedMasks : public Callback {
 public:
  explicit FixedMasks(MaskSet masks) : masks_(std::move(masks)) {}
  std::string name() const override { return "imp_control_masks"; }
  void on_train_begin(TrainContext& ctx) override { masks_.apply(ctx.model); }
  void on_after_backward(TrainContext& ctx) override { masks_.mask_gradients(ctx.model); }
  void on_after_optimizer_step(TrainContext& ctx) override { masks_.apply_weights(ctx.model); }
  void on_train_end(TrainContext& ctx) override { masks_.apply(ctx.model); }

 private:
  MaskSet masks_;
};

std::vector<std::string> default_exclusions(const Graph& g) {
  // OpenLTH: cifar_vgg_16 ignores fc.weight, cifar_resnet_20 ignores nothing. The zoo's VGG family
  // is recognised by its node names (the graph does not carry the model name).
  if (g.find("features_conv0") >= 0 && g.find("classifier") >= 0) return {"classifier"};
  return {};
}

}  // namespace

// --- options ----------------------------------------------------------------------------------

ImpPrunerOptions ImpPrunerOptions::from_yaml(ConfigNode& node) {
  ImpPrunerOptions o;
  o.levels = node.get_int("levels", o.levels, 1, 1000);
  o.fraction = node.get_double("fraction", o.fraction, 0.0, 1.0, /*min_open=*/true, /*max_open=*/true);
  o.rewind_step = node.get_int("rewind_step", o.rewind_step, 0);
  if (node.has("exclude")) o.exclude = node.get_string_list("exclude");
  o.exact_count = node.get_bool("exact_count", o.exact_count);
  o.structural = node.get_choice("structural", o.structural, {"exact", "legacy", "off"});
  o.fold_tolerance = node.get_double("fold_tolerance", o.fold_tolerance, 0.0);
  o.compare_modes = node.get_bool("compare_modes", o.compare_modes);
  o.portfolio = node.get_bool("portfolio", o.portfolio);
  o.random_reinit_control = node.get_bool("random_reinit_control", o.random_reinit_control);
  o.latency_batch = node.get_int("latency_batch", o.latency_batch, 0, 4096);
  o.latency_reps = node.get_int("latency_reps", o.latency_reps, 1, 100000);
  o.calibration_size = node.get_int("calibration_size", o.calibration_size, 1, 100000);
  if (o.compare_modes && o.structural == "off")
    throw node.error("compare_modes", "needs structural: exact or legacy (structural is off)");
  return o;
}

// --- the pruning step -------------------------------------------------------------------------

int64_t imp_prune_count(int64_t alive, double fraction) {
  // numpy: np.ceil(fraction * remaining).astype(int), in float64.
  return static_cast<int64_t>(std::ceil(fraction * static_cast<double>(alive)));
}

int64_t imp_expected_alive(int64_t total, double fraction, int64_t level, bool exact_count) {
  int64_t alive = total;
  for (int64_t l = 0; l < level; ++l) {
    const int64_t n = imp_prune_count(alive, fraction);
    TP_CHECK(n < alive, "imp: level ", l + 1, " would prune ", n, exact_count ? "" : " + 1", " of ", alive,
             " alive weights (fraction ", fraction, ")");
    alive -= exact_count ? n : n + 1;
  }
  return alive;
}

std::vector<torch::Tensor> imp_global_prune(const std::vector<torch::Tensor>& weights,
                                            const std::vector<torch::Tensor>& masks, double fraction,
                                            bool exact_count) {
  TP_CHECK(fraction > 0.0 && fraction < 1.0, "imp: fraction must be in (0, 1), got ", fraction);
  TP_CHECK(weights.size() == masks.size() && !weights.empty(), "imp: ", weights.size(), " weight tensors but ",
           masks.size(), " masks");
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> mags, alive;
  for (size_t i = 0; i < weights.size(); ++i) {
    const torch::Tensor w = weights[i].detach().to(torch::kFloat).reshape({-1});
    const torch::Tensor m = masks[i].defined() ? masks[i].detach().to(torch::kFloat).reshape({-1})
                                               : torch::ones_like(w);
    TP_CHECK(m.numel() == w.numel(), "imp: mask ", i, " has ", m.numel(), " entries, weight ", w.numel());
    mags.push_back(w.abs());
    alive.push_back(m > 0.5);
  }
  const torch::Tensor all_mag = torch::cat(mags);
  const torch::Tensor all_alive = torch::cat(alive);
  const torch::Tensor pool = all_mag.masked_select(all_alive);  // alive entries, position order
  const int64_t remaining = pool.numel();
  const int64_t n = imp_prune_count(remaining, fraction);
  TP_CHECK(n < remaining, "imp: cannot prune ", n, " of ", remaining, " alive weights (fraction ", fraction,
           "): too few weights left for another level");
  torch::Tensor keep;  // [total] bool
  if (exact_count) {
    // Exactly the n smallest alive magnitudes go; ties broken by position (stable sort).
    const torch::Tensor order = std::get<1>(pool.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
    torch::Tensor keep_pool = torch::ones({remaining}, torch::kBool);
    if (n > 0) keep_pool.index_fill_(0, order.slice(0, 0, n), false);
    keep = torch::zeros_like(all_alive);
    keep.masked_scatter_(all_alive, keep_pool);
  } else {
    // OpenLTH: thr = sorted(|v|)[n]; keep |w| > thr (so the n-th order statistic and its ties go).
    const torch::Tensor sorted = std::get<0>(pool.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
    const float thr = sorted[n].item<float>();
    keep = all_alive & (all_mag > thr);
  }
  std::vector<torch::Tensor> out;
  int64_t offset = 0;
  for (const torch::Tensor& w : weights) {
    out.push_back(keep.slice(0, offset, offset + w.numel()).to(torch::kFloat).view(w.sizes()).clone());
    offset += w.numel();
  }
  return out;
}

// --- pruner -----------------------------------------------------------------------------------

ImpPruner::ImpPruner(ImpPrunerOptions options) : Pruner("imp"), options_(std::move(options)) {}
ImpPruner::~ImpPruner() = default;

void ImpPruner::train_begin(TrainContext& ctx) {
  const Graph& g = ctx.model->graph();
  excluded_ = options_.exclude ? *options_.exclude : default_exclusions(g);
  for (const std::string& name : excluded_)
    TP_CHECK(g.find(name) >= 0, "prune.exclude: no node named \"", name, "\" in the model (", g.size(), " nodes)");
  prunable_.clear();
  prunable_weights_ = 0;
  for (int id = 0; id < g.size(); ++id) {
    const Node& n = g.node(id);
    if ((n.kind == OpKind::kConv2d || n.kind == OpKind::kLinear) &&
        std::find(excluded_.begin(), excluded_.end(), n.name) == excluded_.end()) {
      prunable_.push_back(id);
      prunable_weights_ += ctx.model->weight(id).numel();
    }
  }
  TP_CHECK(!prunable_.empty(), "prune (imp): every conv/linear node is excluded; nothing to prune");
  if (ctx.total_steps > 0)
    TP_CHECK(options_.rewind_step < ctx.total_steps, "prune.rewind_step: ", options_.rewind_step,
             " must be below the run's total steps per level (", ctx.total_steps,
             " = train.epochs x steps per epoch or train.max_steps)");
  if (pending_restart_ >= 0 && ctx.step != pending_restart_)
    // A checkpoint between a level's end and its rewind (the trainer writes none there; a
    // checkpoint from an older build could) holds the rewound weights at step T and cannot
    // continue the level loop.
    throw Error(str_cat("prune (imp): the checkpoint was written between the end of level ", level_ - 1,
                        " (step ", ctx.step, ") and its rewind to step ", pending_restart_,
                        "; it cannot resume the level loop. Restart the run without train.resume."));
  if (rewind_.empty()) {
    const bool before_k = level_ == 0 && ctx.step <= options_.rewind_step;
    TP_CHECK(before_k, "prune (imp): resumed at step ", ctx.step, " of level ", level_,
             " but the checkpoint holds no rewind state (rewind_step ", options_.rewind_step, ")");
    if (options_.rewind_step == 0) capture_rewind(ctx.model);
  } else {
    // A resumed run: the stored state must describe this model.
    for (const auto& kv : ctx.model->named_parameters(true)) {
      auto it = rewind_.find(kv.key());
      TP_CHECK(it != rewind_.end() && it->second.sizes() == kv.value().sizes(), "prune (imp): the stored rewind state ",
               "does not match parameter ", kv.key());
    }
  }
  level_start_ = now_seconds();
  std::string excluded;
  for (const std::string& e : excluded_) excluded += (excluded.empty() ? "" : ",") + e;
  log().info("imp level={} of {} prunable_weights={} excluded=[{}] rewind_step={} step={}", level_, options_.levels,
             prunable_weights_, excluded, options_.rewind_step, ctx.step);
}

void ImpPruner::capture_rewind(GraphModule& model) {
  rewind_.clear();
  for (const auto& kv : model->named_parameters(true)) rewind_[kv.key()] = kv.value().detach().clone();
  for (const auto& kv : model->named_buffers(true)) rewind_[kv.key()] = kv.value().detach().clone();
}

void ImpPruner::step_begin(TrainContext& ctx) {
  if (pending_restart_ >= 0 && ctx.step == pending_restart_) pending_restart_ = -1;  // rewind executed
}

void ImpPruner::after_step(TrainContext& ctx) {
  if (level_ == 0 && options_.rewind_step > 0 && rewind_.empty() && ctx.step == options_.rewind_step)
    capture_rewind(ctx.model);
  if (finished_ || ctx.step != ctx.total_steps) return;
  end_level(ctx);
  if (level_ < options_.levels) {
    prune_level(ctx);  // requests the rewind; the trainer performs it before honouring Ctrl-C
  } else {
    finished_ = true;
    log().info("imp finished: {} levels", options_.levels);
  }
}

void ImpPruner::train_end(TrainContext& ctx) {
  (void)ctx;
  if (!finished_)
    log().warn("imp: training ended in level {} of {} before its last step; {} level(s) recorded", level_,
               options_.levels, records_.size());
}

void ImpPruner::end_level(TrainContext& ctx) {
  RngGuard rng;
  const double level_seconds = now_seconds() - level_start_;
  GraphModule& model = ctx.model;
  Json rec = Json::object();
  rec["level"] = level_;
  int64_t alive = 0;
  for (int id : prunable_) {
    const torch::Tensor m = masks().weight_mask(id);
    alive += m.defined() ? static_cast<int64_t>(m.sum().item<double>()) : model->weight(id).numel();
  }
  const double density = static_cast<double>(alive) / static_cast<double>(prunable_weights_);
  rec["prunable_weights"] = prunable_weights_;
  rec["remaining_weights"] = alive;
  rec["density"] = density;
  rec["sparsity"] = 1.0 - density;
  rec["model_sparsity"] = masks().sparsity(model).sparsity();
  rec["level_seconds"] = level_seconds;
  rec["params"] = model->graph().param_count();
  const ResourceReport dense_res = ResourceModel(model->graph()).evaluate();
  rec["macs"] = dense_res.macs;
  rec["model_size_bytes"] = dense_res.model_size_bytes;
  rec["nonzero_params"] = nonzero_params(model);

  const bool have_test = ctx.data && ctx.data->test;
  const EvalResult sparse = have_test ? evaluate_test(model, ctx) : EvalResult{kNaN, kNaN, 0};
  rec["test_accuracy"] = sparse.accuracy;
  rec["test_loss"] = sparse.loss;

  torch::Tensor calibration;
  if (ctx.data && ctx.data->train) {
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < std::min<int64_t>(ctx.data->train->size(), options_.calibration_size); ++i)
      idx.push_back(i);
    calibration = ctx.data->train->get_unaugmented_batch(idx).images;
  }
  torch::Tensor timing_input;
  if (options_.latency_batch > 0 && calibration.defined()) {
    const int64_t reps = (options_.latency_batch + calibration.size(0) - 1) / calibration.size(0);
    timing_input = calibration.repeat({reps, 1, 1, 1}).slice(0, 0, options_.latency_batch).contiguous();
    rec["latency_batch"] = options_.latency_batch;
  }

  GraphModule variant{nullptr};
  Json vmeta = Json::object();
  std::vector<std::pair<std::string, GraphModule>> timed;  // converted models to time, by mode
  if (options_.structural != "off") {
    std::vector<std::string> modes{options_.structural};
    if (options_.compare_modes) modes.push_back(options_.structural == "exact" ? "legacy" : "exact");
    rec["structural_mode"] = options_.structural;
    for (const std::string& mode : modes) {
      StructuralOptions so;
      so.mode = structural_mode_from_name(mode);
      so.fold_tolerance = options_.fold_tolerance;
      try {
        StructuralResult r = structural_convert(model, so, calibration, &masks());
        r.model->eval();
        // Nothing removed: the converted model holds the sparse model's weights, so its accuracy is
        // the sparse one (saves a test pass per mode and level).
        const EvalResult acc = !have_test ? EvalResult{kNaN, kNaN, 0}
                               : r.channels_removed == 0 ? sparse : evaluate_test(r.model, ctx);
        const ResourceReport rr = ResourceModel(r.model->graph()).evaluate();
        rec[mode + "_params"] = r.params_after;
        rec[mode + "_macs"] = rr.macs;
        rec[mode + "_model_size_bytes"] = rr.model_size_bytes;
        rec[mode + "_compression"] = r.compression();
        rec[mode + "_nonzero_weights"] = r.nonzero_weights_after;
        rec[mode + "_channels_removed"] = r.channels_removed;
        rec[mode + "_accuracy"] = acc.accuracy;
        rec[mode + "_max_abs_diff"] = r.max_abs_diff;
        rec[mode + "_seconds"] = r.seconds;
        timed.emplace_back(mode, r.model);
        if (mode == options_.structural) {
          variant = r.model;
          vmeta["test_accuracy"] = acc.accuracy;
          vmeta["max_abs_diff"] = r.max_abs_diff;
          vmeta["conversion_seconds"] = r.seconds;
        }
      } catch (const Error& e) {
        // A conversion failure must not end a long IMP run: the level keeps its sparse record.
        rec[mode + "_error"] = std::string(e.what());
        log().warn("imp level={} structural conversion ({}) failed: {}", level_, mode, e.what());
      }
    }
  }
  if (!variant) {
    variant = copy_model(model);
    vmeta["test_accuracy"] = sparse.accuracy;
  }
  if (timing_input.defined()) {
    // Sparse (dense compute: LibTorch's CPU kernels do not skip zeros) vs converted, in turns.
    std::vector<GraphModule> models{model};
    for (const auto& t : timed) models.push_back(t.second);
    const std::vector<Latency> lat = interleaved_latency(models, timing_input, options_.latency_reps);
    rec["sparse_latency_ms"] = lat[0].median_ms;
    rec["sparse_latency_min_ms"] = lat[0].min_ms;
    for (size_t i = 0; i < timed.size(); ++i) {
      rec[timed[i].first + "_latency_ms"] = lat[i + 1].median_ms;
      rec[timed[i].first + "_latency_min_ms"] = lat[i + 1].min_ms;
    }
    const Json* chosen = rec.find(options_.structural + "_latency_ms");
    vmeta["latency_ms"] = chosen ? *chosen : rec["sparse_latency_ms"];
  }

  if (options_.random_reinit_control && ctx.options && ctx.data) {
    // Same masks, fresh random initialisation, the run's T steps from scratch (random
    // re-initialisation has no rewind point), in a separate in-memory Trainer.
    const double t0 = now_seconds();
    torch::manual_seed(ctx.seed + 7919 * static_cast<uint64_t>(level_ + 1));
    GraphModule fresh(model->graph());
    TrainOptions o = *ctx.options;
    o.resume = false;
    Trainer control(fresh, *ctx.data, o, TrainerEnv{"", ctx.seed + static_cast<uint64_t>(level_) + 1, ctx.comm, false});
    control.add_callback(std::make_shared<FixedMasks>(masks()));
    const TrainResult r = control.fit();
    rec["control_accuracy"] = r.interrupted ? kNaN : r.test.accuracy;
    rec["control_seconds"] = now_seconds() - t0;
  }

  if (options_.portfolio) {
    variant->eval();
    const ResourceReport res = ResourceModel(variant->graph()).evaluate();
    Json meta = Json::object();
    meta["level"] = level_;
    meta["density"] = density;
    meta["sparsity"] = 1.0 - density;
    meta["structural"] = options_.structural;
    meta["sparse_test_accuracy"] = sparse.accuracy;
    meta["params"] = res.params;
    meta["nonzero_params"] = nonzero_params(variant);
    meta["macs"] = res.macs;
    meta["model_size_bytes"] = res.model_size_bytes;
    meta["peak_memory_bytes"] = res.peak_memory_bytes;
    for (const auto& kv : vmeta.items()) meta[kv.first] = kv.second;
    variants_.push_back(PrunedVariant{level_, variant, meta});
  }

  if (ctx.record)
    for (const auto& kv : rec.items()) (*ctx.record)["imp_" + kv.first] = kv.second;
  auto field = [&rec](const std::string& key) {
    const Json* v = rec.find(key);
    return v ? v->to_text() : std::string("-");
  };
  log().info("imp level={} density={:.4f} test_acc={:.4f} exact_acc={} legacy_acc={} params={} converted_params={} "
             "seconds={:.1f}",
             level_, density, sparse.accuracy, field("exact_accuracy"), field("legacy_accuracy"), field("params"),
             field(options_.structural + "_params"), level_seconds);
  records_.push_back(rec);
}

void ImpPruner::prune_level(TrainContext& ctx) {
  GraphModule& model = ctx.model;
  std::vector<torch::Tensor> weights, current;
  for (int id : prunable_) {
    weights.push_back(model->weight(id).detach());
    current.push_back(masks().weight_mask(id));
  }
  const std::vector<torch::Tensor> next = imp_global_prune(weights, current, options_.fraction, options_.exact_count);
  for (size_t i = 0; i < prunable_.size(); ++i) masks().set_weight_mask(prunable_[i], next[i]);
  commit(ctx);  // the first commit records the trained dense model's accuracy ("accuracy before")

  // Rewind: every parameter and buffer (BN running statistics too) back to W_k, then the masks.
  {
    torch::NoGradGuard no_grad;
    auto assign = [&](const std::string& name, torch::Tensor& t) {
      auto it = rewind_.find(name);
      TP_CHECK(it != rewind_.end() && it->second.sizes() == t.sizes(), "prune (imp): rewind state lacks ", name);
      t.copy_(it->second);
    };
    for (auto& kv : model->named_parameters(true)) assign(kv.key(), kv.value());
    for (auto& kv : model->named_buffers(true)) assign(kv.key(), kv.value());
  }
  masks().apply(model);
  ++level_;
  pending_restart_ = options_.rewind_step;
  level_start_ = now_seconds();
  ctx.restart_at(options_.rewind_step);
}

bool ImpPruner::target_met() const { return finished_ && level_ == options_.levels; }

Json ImpPruner::summary() const {
  Json j = Json::object();
  j["levels"] = options_.levels;
  j["fraction"] = options_.fraction;
  j["rewind_step"] = options_.rewind_step;
  j["exact_count"] = options_.exact_count;
  j["structural"] = options_.structural;
  j["excluded"] = excluded_;
  j["prunable_weights"] = prunable_weights_;
  j["levels_completed"] = static_cast<int64_t>(records_.size());
  Json recs = Json::array();
  for (const Json& r : records_) recs.push_back(r);
  j["level_records"] = recs;
  j["portfolio_variants"] = static_cast<int64_t>(variants_.size());
  return j;
}

// --- checkpoint state -------------------------------------------------------------------------

void ImpPruner::save_extra(torch::serialize::OutputArchive& archive) const {
  archive.write("imp_level", torch::tensor(level_, torch::kInt64));
  archive.write("imp_finished", torch::tensor(static_cast<int64_t>(finished_), torch::kInt64));
  archive.write("imp_pending_restart", torch::tensor(pending_restart_, torch::kInt64));
  std::string names;
  int64_t i = 0;
  for (const auto& kv : rewind_) {
    names += kv.first + "\n";
    archive.write("imp_rewind_" + std::to_string(i++), kv.second);
  }
  archive.write("imp_rewind_names", string_tensor(names));
  Json recs = Json::array();
  for (const Json& r : records_) recs.push_back(r);
  archive.write("imp_records", string_tensor(recs.dump()));
  archive.write("imp_variants", torch::tensor(static_cast<int64_t>(variants_.size()), torch::kInt64));
  for (size_t v = 0; v < variants_.size(); ++v) {
    torch::serialize::OutputArchive one, model_ar;
    one.write("level", torch::tensor(variants_[v].level, torch::kInt64));
    one.write("graph_yaml", string_tensor(variants_[v].model->graph().to_yaml()));
    one.write("meta", string_tensor(variants_[v].meta.dump()));
    variants_[v].model->save(model_ar);
    one.write("model", model_ar);
    archive.write("imp_variant_" + std::to_string(v), one);
  }
}

void ImpPruner::load_extra(torch::serialize::InputArchive& archive) {
  // A fresh tensor per key: InputArchive::read into a defined tensor set_()s it in place, which
  // fails when dtype or size differ.
  auto read = [](torch::serialize::InputArchive& ar, const std::string& key) {
    torch::Tensor t;
    ar.read(key, t);
    return t;
  };
  torch::Tensor level;
  if (!archive.try_read("imp_level", level)) return;  // a checkpoint without IMP state
  level_ = level.item<int64_t>();
  finished_ = read(archive, "imp_finished").item<int64_t>() != 0;
  pending_restart_ = read(archive, "imp_pending_restart").item<int64_t>();
  rewind_.clear();
  std::istringstream names(tensor_string(read(archive, "imp_rewind_names")));
  std::string name;
  for (int64_t i = 0; std::getline(names, name);) {
    if (name.empty()) continue;
    rewind_[name] = read(archive, "imp_rewind_" + std::to_string(i++));
  }
  records_.clear();
  const Json records = yaml_to_json(YAML::Load(tensor_string(read(archive, "imp_records"))));  // named: elements() refers into it
  for (const Json& r : records.elements()) records_.push_back(r);
  variants_.clear();
  const int64_t count = read(archive, "imp_variants").item<int64_t>();
  RngGuard rng;  // load_state runs after the checkpoint restored the RNG
  for (int64_t v = 0; v < count; ++v) {
    torch::serialize::InputArchive one, model_ar;
    archive.read("imp_variant_" + std::to_string(v), one);
    PrunedVariant var;
    var.level = read(one, "level").item<int64_t>();
    var.model = GraphModule(Graph::from_yaml(YAML::Load(tensor_string(read(one, "graph_yaml"))), "imp portfolio variant"));
    var.meta = yaml_to_json(YAML::Load(tensor_string(read(one, "meta"))));
    one.read("model", model_ar);
    var.model->load(model_ar);
    var.model->eval();
    variants_.push_back(std::move(var));
  }
}

// --- registration -----------------------------------------------------------------------------

void register_imp_pruner(PrunerRegistry& registry) {
  registry.add("imp",
               "iterative magnitude pruning with lottery-ticket rewinding (OpenLTH), DNNShifter structural "
               "conversion per level and a portfolio of the variants",
               [](ConfigNode& c) { return std::make_unique<ImpPruner>(ImpPrunerOptions::from_yaml(c)); },
               "{method: imp, levels: 2, fraction: 0.5, rewind_step: 2, structural: exact, portfolio: true}");
}

}  // namespace tinyprune
