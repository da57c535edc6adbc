#include "pruners/compaction.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <mutex>

#include "core/error.h"

namespace tinyprune {
namespace {

// Feature indices of a node's output that survive: every kept group channel c expands to the
// block [c*m, (c+1)*m) (m = the node's channel multiplier, H*W behind a Flatten). Undefined when
// every channel is kept, so callers can skip the copy.
torch::Tensor feature_index(const std::vector<int64_t>& kept, int64_t channels, int64_t multiplier) {
  if (static_cast<int64_t>(kept.size()) == channels) return torch::Tensor();
  std::vector<int64_t> idx;
  idx.reserve(kept.size() * static_cast<size_t>(multiplier));
  for (int64_t c : kept)
    for (int64_t j = 0; j < multiplier; ++j) idx.push_back(c * multiplier + j);
  return torch::tensor(idx, torch::kInt64);
}

torch::Tensor select(const torch::Tensor& t, int64_t dim, const torch::Tensor& idx) {
  return idx.defined() ? t.index_select(dim, idx.to(t.device())) : t;
}

std::string describe(const Node& n) {
  return str_cat("\"", n.name, "\" (", op_kind_name(n.kind), ", ", n.shape.c, "x", n.shape.h, "x", n.shape.w, ")");
}

// The mask set must have been built for exactly this graph: same nodes, wiring and shapes.
void check_same_graph(const Graph& model, const Graph& masks) {
  TP_CHECK_T(GraphError, model.size() == masks.size(), "compaction: the mask set was built for a different graph (",
             masks.size(), " nodes; the model has ", model.size(), ")");
  for (int i = 0; i < model.size(); ++i) {
    const Node& a = model.node(i);
    const Node& b = masks.node(i);
    const bool same = a.name == b.name && a.kind == b.kind && a.inputs == b.inputs && a.shape == b.shape &&
                      a.groups == b.groups && a.bias == b.bias;
    TP_CHECK_T(GraphError, same, "compaction: the mask set was built for a different graph: node ", i, " is ",
               describe(a), " in the model but ", describe(b), " in the masks");
  }
}

// Constructing a GraphModule initialises its weights from LibTorch's global RNG. Compaction
// overwrites all of them, so it restores the generator: compacting mid-run must not shift the
// random stream (data augmentation, dropout) of a seeded run.
class RngStateGuard {
 public:
  RngStateGuard() : gen_(at::detail::getDefaultCPUGenerator()) {
    std::lock_guard<std::mutex> lock(gen_.mutex());
    state_ = gen_.get_state();
  }
  ~RngStateGuard() {
    std::lock_guard<std::mutex> lock(gen_.mutex());
    gen_.set_state(state_);
  }
  RngStateGuard(const RngStateGuard&) = delete;
  RngStateGuard& operator=(const RngStateGuard&) = delete;

 private:
  at::Generator gen_;
  at::Tensor state_;
};

}  // namespace

std::vector<std::vector<int64_t>> kept_channels(const MaskSet& masks) {
  const ChannelGroups& groups = masks.groups();
  std::vector<std::vector<int64_t>> kept(static_cast<size_t>(groups.size()));
  for (const ChannelGroup& g : groups.groups()) {
    auto& k = kept[static_cast<size_t>(g.id)];
    const torch::Tensor m = masks.channel_mask(g.id);
    if (!m.defined()) {
      k.resize(static_cast<size_t>(g.channels));
      for (int64_t c = 0; c < g.channels; ++c) k[static_cast<size_t>(c)] = c;
      continue;
    }
    const torch::Tensor idx = m.gt(0.5).nonzero().view({-1}).to(torch::kInt64).contiguous();
    k.assign(idx.data_ptr<int64_t>(), idx.data_ptr<int64_t>() + idx.numel());
  }
  return kept;
}

CompactionResult compact(GraphModule& model, const MaskSet& masks) {
  const Graph& g = model->graph();
  check_same_graph(g, masks.graph());
  const ChannelGroups& groups = masks.groups();
  const std::vector<std::vector<int64_t>> kept = kept_channels(masks);
  for (const ChannelGroup& grp : groups.groups()) {
    const auto& k = kept[static_cast<size_t>(grp.id)];
    TP_CHECK_T(GraphError, !k.empty(), "compaction: channel group \"", grp.name, "\" keeps no channel");
    TP_CHECK_T(GraphError, grp.prunable || static_cast<int64_t>(k.size()) == grp.channels,
               "compaction: channel group \"", grp.name, "\" is not prunable (", grp.fixed_reason,
               ") but its mask removes channels");
  }

  // 1. The smaller graph: same nodes, names and wiring; conv / linear widths from their group.
  const int n = g.size();
  std::vector<torch::Tensor> out_index(static_cast<size_t>(n));
  Graph small;
  for (int id = 0; id < n; ++id) {
    Node node = g.node(id);
    const int grp = groups.group_of(id);
    const int64_t mult = groups.channel_multiplier(id);
    const auto& k = kept[static_cast<size_t>(grp)];
    out_index[static_cast<size_t>(id)] = feature_index(k, groups.group(grp).channels, mult);
    const int64_t width = static_cast<int64_t>(k.size()) * mult;
    if (node.kind == OpKind::kConv2d) {
      // A depthwise conv keeps one filter per kept channel of the group it passes through.
      if (node.is_depthwise(g.in_channels(id))) node.groups = width;
      node.out_channels = width;
    } else if (node.kind == OpKind::kLinear) {
      node.out_channels = width;
    }
    small.add_node(std::move(node));  // re-infers the shape: the new widths are checked here
  }
  small.set_output(g.output());

  // 2. A module for it, then every tensor sliced out of the original.
  GraphModule out{nullptr};
  {
    RngStateGuard rng;
    out = GraphModule(small);
  }
  {
    // Same dtype / device as the original (its first parameter decides).
    const auto params = model->parameters();
    if (!params.empty()) out->to(params.front().device(), params.front().scalar_type());
  }
  out->train(model->is_training());

  auto in_index = [&](int id) { return out_index[static_cast<size_t>(g.node(id).inputs.at(0))]; };
  // Rows = kept output features; columns = kept input features, except for depthwise convs
  // (one input channel per filter) and grouped convs (their groups are fixed, nothing to slice).
  auto slice_weight = [&](int id, const torch::Tensor& w) {
    const Node& node = g.node(id);
    torch::Tensor s = select(w, 0, out_index[static_cast<size_t>(id)]);
    const bool per_filter_input = node.kind == OpKind::kConv2d && node.groups > 1;
    if (!per_filter_input) s = select(s, 1, in_index(id));
    return s;
  };

  torch::NoGradGuard no_grad;
  for (int id = 0; id < n; ++id) {
    const Node& node = g.node(id);
    const torch::Tensor& rows = out_index[static_cast<size_t>(id)];
    switch (node.kind) {
      case OpKind::kConv2d:
      case OpKind::kLinear: {
        torch::Tensor w = model->weight(id).detach();
        // Masked weights are zero in the masked model (MaskSet::apply); multiplying again makes
        // the copy right even when the caller has not applied the masks yet.
        const torch::Tensor m = masks.effective_weight_mask(id);
        if (m.defined()) w = w * m.to(w.device(), w.scalar_type());
        out->weight(id).copy_(slice_weight(id, w));
        torch::Tensor b = node.kind == OpKind::kConv2d ? model->conv(id)->bias : model->linear(id)->bias;
        torch::Tensor ob = node.kind == OpKind::kConv2d ? out->conv(id)->bias : out->linear(id)->bias;
        if (b.defined()) ob.copy_(select(b.detach(), 0, rows));
        break;
      }
      case OpKind::kBatchNorm: {
        auto& src = model->batch_norm(id);
        auto& dst = out->batch_norm(id);
        if (src->weight.defined()) dst->weight.copy_(select(src->weight.detach(), 0, rows));
        if (src->bias.defined()) dst->bias.copy_(select(src->bias.detach(), 0, rows));
        if (src->running_mean.defined()) dst->running_mean.copy_(select(src->running_mean, 0, rows));
        if (src->running_var.defined()) dst->running_var.copy_(select(src->running_var, 0, rows));
        if (src->num_batches_tracked.defined()) dst->num_batches_tracked.copy_(src->num_batches_tracked);
        break;
      }
      default:
        break;
    }
  }

  // 3. Weight and filterlet masks of the smaller graph (filterlet masks [Cout, KH, KW]: rows only).
  MaskSet small_masks(out->graph());
  for (const auto& [id, m] : masks.weight_masks()) small_masks.set_weight_mask(id, slice_weight(id, m));
  for (const auto& [id, m] : masks.filterlet_masks())
    small_masks.set_filterlet_mask(id, select(m, 0, out_index[static_cast<size_t>(id)]));
  std::vector<int64_t> widths = small_masks.groups().original_widths();
  return CompactionResult{out, std::move(small_masks), std::move(widths)};
}

}  // namespace tinyprune
