#include "pruners/structural.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>

#include "core/error.h"
#include "core/logging.h"
#include "pruners/compaction.h"

namespace tinyprune {
namespace {

// A group channel's value at one member's output: constant over space (and over the batch) or not.
struct ChannelState {
  torch::Tensor constant;  // bool [C_g]
  torch::Tensor value;     // float64 [C_g]; meaningful where constant
};

bool is_producer(const Graph& g, int id) {
  const Node& n = g.node(id);
  return n.kind == OpKind::kLinear || (n.kind == OpKind::kConv2d && !n.is_depthwise(g.in_channels(id)));
}

int64_t count_nonzero_weights(GraphModule& model) {
  const Graph& g = model->graph();
  int64_t n = 0;
  for (int id = 0; id < g.size(); ++id)
    if (g.node(id).kind == OpKind::kConv2d || g.node(id).kind == OpKind::kLinear)
      n += model->weight(id).count_nonzero().item<int64_t>();
  return n;
}

// The fixpoint over all prunable groups of one working model (a private copy: it is edited in
// place: folds into biases / running means, removed rows and columns zeroed).
class Converter {
 public:
  Converter(GraphModule& model, const StructuralOptions& options)
      : model_(model), graph_(model->graph()), groups_(graph_), options_(options) {
    for (const ChannelGroup& grp : groups_.groups()) {
      removed_.push_back(torch::zeros({grp.channels}, torch::kBool));
      folded_.push_back(torch::zeros({grp.channels}, torch::kBool));
    }
  }

  int run() {
    int rounds = 0;
    for (int pass = 0; pass < options_.max_rounds; ++pass) {
      bool changed = false;
      for (const ChannelGroup& grp : groups_.groups())
        if (grp.prunable && process(grp)) changed = true;
      if (!changed) break;
      ++rounds;
    }
    return rounds;
  }

  const ChannelGroups& groups() const { return groups_; }
  const torch::Tensor& removed(int group) const { return removed_[static_cast<size_t>(group)]; }
  const torch::Tensor& folded(int group) const { return folded_[static_cast<size_t>(group)]; }

 private:
  torch::Tensor nonzero(const torch::Tensor& w) const {
    return options_.zero_threshold > 0.0 ? w.abs() > options_.zero_threshold : w != 0;
  }
  // [O]: filter / row o has a non-zero weight.
  torch::Tensor rows_alive(int id) { return nonzero(model_->weight(id).detach()).flatten(1).any(1); }
  // [C_g]: consumer `id` reads group channel c (a block of `block` input features) through a
  // non-zero weight.
  torch::Tensor columns_alive(int id, int64_t block) {
    const torch::Tensor nz = nonzero(model_->weight(id).detach()).transpose(0, 1).flatten(1).any(1);
    return nz.view({-1, block}).any(1);
  }
  torch::Tensor bias_or_zero(int id, int64_t channels) {
    const Node& n = graph_.node(id);
    torch::Tensor b;
    if (n.bias) b = n.kind == OpKind::kConv2d ? model_->conv(id)->bias : model_->linear(id)->bias;
    return b.defined() ? b.detach().to(torch::kDouble) : torch::zeros({channels}, torch::kDouble);
  }

  // [KH, KW] double, 1 where tap (kh, kw) of conv / pool `id` reads the zero padding at some
  // output position (input index o * stride - pad + k outside [0, size)), else 0.
  torch::Tensor border_taps(int id) const {
    const Node& n = graph_.node(id);
    const TensorShape in = graph_.node(n.inputs[0]).shape;
    auto reads_padding = [](int64_t k, int64_t pad, int64_t stride, int64_t size, int64_t out) {
      return k < pad || (out - 1) * stride - pad + k >= size;
    };
    torch::Tensor t = torch::zeros({n.kernel_h, n.kernel_w}, torch::kDouble);
    for (int64_t kh = 0; kh < n.kernel_h; ++kh)
      for (int64_t kw = 0; kw < n.kernel_w; ++kw)
        if (reads_padding(kh, n.pad_h, n.stride_h, in.h, n.shape.h) ||
            reads_padding(kw, n.pad_w, n.stride_w, in.w, n.shape.w))
          t.index_put_({kh, kw}, 1.0);
    return t;
  }

  // [C]: whether a constant input v is still constant, or foldable, at `id`'s output: at a padded
  // border the taps in border_taps read 0 instead of v, an error of at most |v| * `border_weight`
  // (the largest sum of |weight| over those taps); it must be within options_.fold_tolerance.
  // Without border taps (no padding, a Linear, a 3x3 read only through its centre) it is exact;
  // with the default tolerance 0 a border tap passes only v == 0 (e.g. a constant cut by ReLU).
  torch::Tensor border_exact(const torch::Tensor& v, const torch::Tensor& border_weight) const {
    return (v.abs() * border_weight).le(options_.fold_tolerance);
  }
  // [C_g]: for consumer `id` (block = input features per group channel), max over outputs o of
  // sum |W[o, c, taps reading padding]|; 0 for a Linear.
  torch::Tensor consumer_border_weight(int id, int64_t block) {
    const torch::Tensor w = model_->weight(id).detach().to(torch::kDouble).abs();
    if (w.dim() != 4) return torch::zeros({w.size(1) / block}, torch::kDouble);
    const torch::Tensor per_input = (w * border_taps(id)).sum({2, 3});  // [O, I]
    return std::get<0>(per_input.view({per_input.size(0), -1, block}).sum(2).max(0));
  }

  // Where a constant input channel of `consumer` can be folded: the consumer itself (it has a
  // bias), the BatchNorm that is its only reader (running_mean), or nowhere (-1).
  int fold_target(int consumer) const {
    if (graph_.node(consumer).bias) return consumer;
    const std::vector<int> readers = graph_.consumers(consumer);
    if (readers.size() == 1 && graph_.node(readers[0]).kind == OpKind::kBatchNorm) return readers[0];
    return -1;
  }

  // Channel states of every member, in member order (= topological order within the group).
  std::map<int, ChannelState> propagate(const ChannelGroup& grp) {
    std::map<int, ChannelState> st;
    const int64_t c = grp.channels;
    for (int m : grp.members) {
      const Node& n = graph_.node(m);
      ChannelState s;
      if (n.kind == OpKind::kInput) {
        s = {torch::zeros({c}, torch::kBool), torch::zeros({c}, torch::kDouble)};
      } else if (is_producer(graph_, m)) {
        // A zero filter outputs its bias everywhere.
        s = {rows_alive(m).logical_not(), bias_or_zero(m, c)};
      } else {
        const ChannelState& in = st.at(n.inputs[0]);
        switch (n.kind) {
          case OpKind::kConv2d: {  // depthwise: a zero filter outputs its bias, a constant input
                                   // v gives v * sum(filter) + bias, at padded borders only if
                                   // the padding's 0 changes nothing (see border_exact)
            const torch::Tensor zero_filter = rows_alive(m).logical_not();
            const torch::Tensor b = bias_or_zero(m, c);
            const torch::Tensor w = model_->weight(m).detach().to(torch::kDouble);
            const torch::Tensor border = (w.abs() * border_taps(m)).flatten(1).sum(1);
            const torch::Tensor through = in.constant.logical_and(border_exact(in.value, border));
            s = {zero_filter.logical_or(through),
                 torch::where(zero_filter, b, in.value * w.flatten(1).sum(1) + b)};
            break;
          }
          case OpKind::kAvgPool: {  // padding counts as 0 in the average (count_include_pad)
            const double border = border_taps(m).sum().item<double>() /
                                  static_cast<double>(n.kernel_h * n.kernel_w);
            s = {in.constant.logical_and(border_exact(in.value, torch::full({c}, border, torch::kDouble))), in.value};
            break;
          }
          case OpKind::kBatchNorm: {
            auto& bn = model_->batch_norm(m);
            const torch::Tensor mean = bn->running_mean.to(torch::kDouble);
            const torch::Tensor var = bn->running_var.to(torch::kDouble);
            torch::Tensor y = (in.value - mean) / torch::sqrt(var + n.eps);
            if (bn->weight.defined()) y = y * bn->weight.detach().to(torch::kDouble);
            if (bn->bias.defined()) y = y + bn->bias.detach().to(torch::kDouble);
            s = {in.constant, y};
            break;
          }
          case OpKind::kReLU: s = {in.constant, in.value.clamp_min(0.0)}; break;
          case OpKind::kReLU6: s = {in.constant, in.value.clamp(0.0, 6.0)}; break;
          case OpKind::kAdd: {
            const ChannelState& other = st.at(n.inputs[1]);
            s = {in.constant.logical_and(other.constant), in.value + other.value};
            break;
          }
          default:  // max pools (padding is -inf), global pools, flatten, dropout (eval)
            s = in;
            break;
        }
      }
      st[m] = std::move(s);
    }
    return st;
  }

  // Folds constant input channels (value v, 0 where not folded) into a consumer.
  void fold(const GroupConsumer& gc, const torch::Tensor& v) {
    const torch::Tensor w = model_->weight(gc.node).detach().to(torch::kDouble);
    const torch::Tensor per_input = w.dim() == 4 ? w.sum({2, 3}) : w;  // [O, I]
    const torch::Tensor delta = per_input.matmul(v.repeat_interleave(gc.block));  // [O]
    const int target = fold_target(gc.node);
    TP_CHECK(target >= 0, "structural conversion: no fold target for \"", graph_.node(gc.node).name, "\"");
    if (target == gc.node) {
      torch::Tensor b = graph_.node(target).kind == OpKind::kConv2d ? model_->conv(target)->bias
                                                                   : model_->linear(target)->bias;
      b.add_(delta.to(b.scalar_type()));
    } else {
      // BN(x + delta) with mean m equals BN(x) with mean m - delta.
      torch::Tensor& mean = model_->batch_norm(target)->running_mean;
      mean.sub_(delta.to(mean.scalar_type()));
    }
  }

  // One group: find its removable channels given the current weights, fold, zero. True if any.
  bool process(const ChannelGroup& grp) {
    const bool exact = options_.mode == StructuralMode::kExact;
    torch::Tensor& removed = removed_[static_cast<size_t>(grp.id)];
    const std::map<int, ChannelState> st = propagate(grp);

    struct Reader {
      const GroupConsumer* gc;
      torch::Tensor reads;
    };
    std::vector<Reader> readers;
    torch::Tensor removable = removed.logical_not();
    for (const GroupConsumer& gc : grp.consumers) {
      const torch::Tensor reads = columns_alive(gc.node, gc.block);
      const ChannelState& s = st.at(gc.input);
      torch::Tensor droppable = s.constant;  // legacy: every constant channel
      if (exact) {
        // A fold is a per-output-channel bias: exact only where every tap of the consumer reads
        // the constant, so a padded consumer takes only channels whose border error is within
        // the tolerance (v == 0 by default); the others stay (the per-channel fallback).
        droppable = fold_target(gc.node) < 0
                        ? torch::zeros_like(s.constant)
                        : s.constant.logical_and(border_exact(s.value, consumer_border_weight(gc.node, gc.block)));
      }
      removable = removable.logical_and(reads.logical_not().logical_or(droppable));
      readers.push_back({&gc, reads});
    }
    // Keep at least one channel (the first remaining one) of every group.
    const torch::Tensor remaining = removed.logical_not();
    if (removable.sum().item<int64_t>() == remaining.sum().item<int64_t>()) {
      const int64_t first = remaining.nonzero().view({-1})[0].item<int64_t>();
      removable.index_put_({first}, false);
    }
    if (!removable.any().item<bool>()) return false;

    torch::NoGradGuard no_grad;
    if (exact) {
      for (const Reader& r : readers) {
        const torch::Tensor fold_mask = removable.logical_and(r.reads);
        if (!fold_mask.any().item<bool>()) continue;
        const ChannelState& s = st.at(r.gc->input);
        fold(*r.gc, torch::where(fold_mask, s.value, torch::zeros_like(s.value)));
        folded_[static_cast<size_t>(grp.id)].logical_or_(fold_mask);
      }
    }
    // Removed channels: consumers stop reading them, producers stop computing them. Both matter
    // for the fixpoint (a consumer row may now be all zero; a producer column may now be unread).
    const torch::Tensor idx = removable.nonzero().view({-1});
    for (const Reader& r : readers) {
      const int64_t block = r.gc->block;
      const torch::Tensor cols =
          (idx.view({-1, 1}) * block + torch::arange(block, torch::kInt64).view({1, -1})).view({-1});
      model_->weight(r.gc->node).index_fill_(1, cols, 0.0);
    }
    for (int p : grp.producers) model_->weight(p).index_fill_(0, idx, 0.0);
    removed.logical_or_(removable);
    return true;
  }

  GraphModule& model_;
  const Graph& graph_;
  ChannelGroups groups_;
  StructuralOptions options_;
  std::vector<torch::Tensor> removed_;  // bool [C_g] per group
  std::vector<torch::Tensor> folded_;   // bool [C_g] per group
};

}  // namespace

std::string_view structural_mode_name(StructuralMode mode) {
  return mode == StructuralMode::kLegacy ? "legacy" : "exact";
}

StructuralMode structural_mode_from_name(std::string_view name) {
  if (name == "legacy") return StructuralMode::kLegacy;
  if (name == "exact") return StructuralMode::kExact;
  throw ConfigError(str_cat("unknown structural conversion mode \"", name, "\"; known: exact, legacy"));
}

Json StructuralResult::to_json() const {
  Json j = Json::object();
  j["mode"] = std::string(structural_mode_name(mode));
  j["params_before"] = params_before;
  j["params_after"] = params_after;
  j["compression"] = compression();
  j["nonzero_weights_before"] = nonzero_weights_before;
  j["nonzero_weights_after"] = nonzero_weights_after;
  j["channels_removed"] = channels_removed;
  j["rounds"] = rounds;
  j["max_abs_diff"] = max_abs_diff;
  j["seconds"] = seconds;
  Json per = Json::object();
  for (const GroupRemoval& g : groups) per[g.name] = static_cast<int64_t>(g.removed.size());
  j["groups"] = per;
  return j;
}

StructuralResult structural_convert(GraphModule& sparse, const StructuralOptions& options,
                                    const torch::Tensor& calibration, const MaskSet* masks) {
  TP_CHECK(options.zero_threshold >= 0.0 && std::isfinite(options.zero_threshold),
           "structural conversion: zero_threshold must be finite and >= 0, got ", options.zero_threshold);
  TP_CHECK(options.fold_tolerance >= 0.0 && std::isfinite(options.fold_tolerance),
           "structural conversion: fold_tolerance must be finite and >= 0, got ", options.fold_tolerance);
  TP_CHECK(options.max_rounds >= 1, "structural conversion: max_rounds must be >= 1, got ", options.max_rounds);
  const Graph& graph = sparse->graph();
  if (masks == nullptr || masks->channel_masks().empty())
    for (int id = 0; id < graph.size(); ++id)
      TP_CHECK(!sparse->output_mask(id).defined(), "structural conversion: node \"", graph.node(id).name,
               "\" has an output (channel) mask; pass the MaskSet that set it so its channel masks are compacted "
               "first");

  const auto t0 = std::chrono::steady_clock::now();
  const MaskSet start = masks ? *masks : MaskSet(graph);
  // A private copy with the channel masks removed and the weight masks applied: the converter
  // edits its weights in place.
  CompactionResult work = compact(sparse, start);
  const std::vector<std::vector<int64_t>> kept = kept_channels(start);

  StructuralResult result{nullptr, work.masks, options.mode, {}};
  result.mode = options.mode;
  result.params_before = graph.param_count();
  result.nonzero_weights_before = count_nonzero_weights(work.model);

  Converter converter(work.model, options);
  result.rounds = converter.run();

  MaskSet final_masks = work.masks;
  const ChannelGroups& groups = converter.groups();
  for (const ChannelGroup& grp : groups.groups()) {
    if (!grp.prunable) continue;
    const torch::Tensor removed = converter.removed(grp.id);
    GroupRemoval r;
    r.group = grp.id;
    r.name = grp.name;
    r.channels_before = start.groups().group(grp.id).channels;
    r.folded = converter.folded(grp.id).sum().item<int64_t>();
    // Indices of the input graph (the working copy lost the channel-masked ones already).
    const torch::Tensor idx = removed.nonzero().view({-1});
    for (int64_t i = 0; i < idx.numel(); ++i)
      r.removed.push_back(kept[static_cast<size_t>(grp.id)][static_cast<size_t>(idx[i].item<int64_t>())]);
    result.channels_removed += static_cast<int64_t>(r.removed.size());
    if (!r.removed.empty()) final_masks.set_channel_mask(grp.id, removed.logical_not().to(torch::kFloat));
    result.groups.push_back(std::move(r));
  }
  CompactionResult out = compact(work.model, final_masks);
  result.model = out.model;
  result.masks = std::move(out.masks);
  result.params_after = result.model->graph().param_count();
  result.nonzero_weights_after = count_nonzero_weights(result.model);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  result.max_abs_diff = std::numeric_limits<double>::quiet_NaN();
  if (calibration.defined()) {
    torch::NoGradGuard no_grad;
    const bool was_training = sparse->is_training();
    sparse->eval();
    result.model->eval();
    const torch::Tensor a = sparse->forward(calibration);
    const torch::Tensor b = result.model->forward(calibration);
    result.max_abs_diff = (a - b).abs().max().item<double>();
    sparse->train(was_training);
    result.model->train(was_training);
  }
  get_logger("prune")->info(
      "structural mode={} rounds={} channels_removed={} params={}->{} ({:.3f}x) max_abs_diff={:.3g} seconds={:.3f}",
      structural_mode_name(options.mode), result.rounds, result.channels_removed, result.params_before,
      result.params_after, result.compression(), result.max_abs_diff, result.seconds);
  return result;
}

}  // namespace tinyprune
