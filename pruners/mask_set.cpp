#include "pruners/mask_set.h"

#include <torch/torch.h>

#include "core/error.h"

namespace tinyprune {
namespace {

bool is_weighted(const Node& n) { return n.kind == OpKind::kConv2d || n.kind == OpKind::kLinear; }

std::vector<int64_t> weight_shape(const Graph& g, int id) {
  const Node& n = g.node(id);
  if (n.kind == OpKind::kLinear) return {n.out_channels, g.in_channels(id)};
  return {n.out_channels, g.in_channels(id) / n.groups, n.kernel_h, n.kernel_w};
}

torch::Tensor as_mask(const torch::Tensor& m) { return m.detach().to(torch::kFloat).contiguous().clone(); }

std::string shape_str(const std::vector<int64_t>& s) { return str_cat(c10::IntArrayRef(s)); }

// Archive keys: one string lists the stored masks, tensors sit under "<kind>.<name>".
constexpr const char* kIndexKey = "mask_index";

}  // namespace

MaskSet::MaskSet(const Graph& graph) : graph_(graph), groups_(graph) {}

void MaskSet::check_node(int node, const char* what) const {
  TP_CHECK_T(GraphError, node >= 0 && node < graph_.size(), what, " mask: node id ", node, " out of range [0, ",
             graph_.size(), ")");
  TP_CHECK_T(GraphError, is_weighted(graph_.node(node)), what, " mask: node \"", graph_.node(node).name,
             "\" is a ", op_kind_name(graph_.node(node).kind), ", expected a conv2d or linear");
}

void MaskSet::set_weight_mask(int node, torch::Tensor mask) {
  check_node(node, "weight");
  const auto expected = weight_shape(graph_, node);
  TP_CHECK_T(GraphError, mask.defined() && mask.sizes() == c10::IntArrayRef(expected), "weight mask of \"",
             graph_.node(node).name, "\": expected shape ", shape_str(expected), ", got ",
             mask.defined() ? str_cat(mask.sizes()) : std::string("an undefined tensor"));
  weight_[node] = as_mask(mask);
}

void MaskSet::set_filterlet_mask(int node, torch::Tensor mask) {
  check_node(node, "filterlet");
  const Node& n = graph_.node(node);
  TP_CHECK_T(GraphError, n.kind == OpKind::kConv2d, "filterlet mask of \"", n.name, "\": expected a conv2d");
  const std::vector<int64_t> expected{n.out_channels, n.kernel_h, n.kernel_w};
  TP_CHECK_T(GraphError, mask.defined() && mask.sizes() == c10::IntArrayRef(expected), "filterlet mask of \"", n.name,
             "\": expected shape ", shape_str(expected), ", got ",
             mask.defined() ? str_cat(mask.sizes()) : std::string("an undefined tensor"));
  filterlet_[node] = as_mask(mask);
}

void MaskSet::set_channel_mask(int group, torch::Tensor mask) {
  const ChannelGroup& g = groups_.group(group);
  TP_CHECK_T(GraphError, g.prunable, "channel mask of group \"", g.name, "\": the group is not prunable (",
             g.fixed_reason, ")");
  TP_CHECK_T(GraphError, mask.defined() && mask.dim() == 1 && mask.size(0) == g.channels, "channel mask of group \"",
             g.name, "\": expected shape [", g.channels, "], got ",
             mask.defined() ? str_cat(mask.sizes()) : std::string("an undefined tensor"));
  torch::Tensor m = as_mask(mask);
  TP_CHECK_T(GraphError, m.gt(0.5).any().item<bool>(), "channel mask of group \"", g.name,
             "\" removes every channel; keep at least one");
  channel_[group] = m;
}

void MaskSet::clear_weight_mask(int node) { weight_.erase(node); }
void MaskSet::clear_filterlet_mask(int node) { filterlet_.erase(node); }
void MaskSet::clear_channel_mask(int group) { channel_.erase(group); }
void MaskSet::clear() {
  weight_.clear();
  filterlet_.clear();
  channel_.clear();
}

namespace {
torch::Tensor find_or_empty(const std::map<int, torch::Tensor>& m, int key) {
  auto it = m.find(key);
  return it == m.end() ? torch::Tensor() : it->second;
}
}  // namespace

torch::Tensor MaskSet::weight_mask(int node) const { return find_or_empty(weight_, node); }
torch::Tensor MaskSet::filterlet_mask(int node) const { return find_or_empty(filterlet_, node); }
torch::Tensor MaskSet::channel_mask(int group) const { return find_or_empty(channel_, group); }

torch::Tensor MaskSet::effective_weight_mask(int node) const {
  torch::Tensor m = weight_mask(node);
  const torch::Tensor f = filterlet_mask(node);
  if (f.defined()) {
    const torch::Tensor fb = f.unsqueeze(1);  // [Cout, 1, KH, KW]: every input channel
    m = m.defined() ? m * fb : fb.expand(weight_shape(graph_, node)).contiguous();
  }
  return m;
}

torch::Tensor MaskSet::counting_mask(int node) const {
  const Node& n = graph_.node(node);
  const auto shape = weight_shape(graph_, node);
  torch::Tensor m = effective_weight_mask(node);
  if (!m.defined()) m = torch::ones(shape);
  // Rows: the output group's mask (a Linear's or conv's output channels are one channel each).
  const torch::Tensor out = channel_mask(groups_.group_of(node));
  if (out.defined()) m = m * (shape.size() == 4 ? out.view({-1, 1, 1, 1}) : out.view({-1, 1}));
  // Columns: the input group's mask, repeated over Flatten blocks; depthwise convs have none.
  const int in_node = n.inputs.at(0);
  const torch::Tensor in = channel_mask(groups_.group_of(in_node));
  if (in.defined() && !(n.kind == OpKind::kConv2d && n.groups > 1)) {
    const torch::Tensor cols = in.repeat_interleave(groups_.channel_multiplier(in_node));
    m = m * (shape.size() == 4 ? cols.view({1, -1, 1, 1}) : cols.view({1, -1}));
  }
  return m;
}

void MaskSet::apply_weights(GraphModule& model) const {
  torch::NoGradGuard no_grad;
  for (const auto& kv : weight_) model->weight(kv.first).mul_(kv.second);
  for (const auto& kv : filterlet_) model->weight(kv.first).mul_(kv.second.unsqueeze(1));
}

void MaskSet::apply_output_masks(GraphModule& model) const {
  model->clear_output_masks();
  for (const auto& kv : channel_) {
    const ChannelGroup& g = groups_.group(kv.first);
    for (int id : g.members) {
      const Node& n = graph_.node(id);
      if (n.kind != OpKind::kConv2d && n.kind != OpKind::kLinear && n.kind != OpKind::kBatchNorm) continue;
      // A conv followed only by its BN is masked at the BN's output: after BN, so a pruned
      // channel is 0 whatever beta is (exact removal); before it would leak beta downstream.
      const auto cons = graph_.consumers(id);
      if (n.kind != OpKind::kBatchNorm && cons.size() == 1 && graph_.node(cons[0]).kind == OpKind::kBatchNorm) continue;
      model->set_output_mask(id, kv.second);
    }
  }
}

void MaskSet::apply(GraphModule& model) const {
  TP_CHECK_T(GraphError, model->graph().size() == graph_.size(), "masks were built for a graph of ", graph_.size(),
             " nodes, the model has ", model->graph().size());
  apply_weights(model);
  apply_output_masks(model);
}

void MaskSet::mask_gradients(GraphModule& model) const {
  torch::NoGradGuard no_grad;
  for (int node : masked_nodes()) {
    torch::Tensor g = model->weight(node).mutable_grad();
    if (!g.defined()) continue;
    g.mul_(effective_weight_mask(node));
  }
}

std::vector<int> MaskSet::masked_nodes() const {
  std::vector<int> out;
  for (const auto& kv : weight_) out.push_back(kv.first);
  for (const auto& kv : filterlet_)
    if (!weight_.count(kv.first)) out.push_back(kv.first);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int64_t> MaskSet::kept_widths() const {
  std::vector<int64_t> w = groups_.original_widths();
  for (const auto& kv : channel_) w[static_cast<size_t>(kv.first)] = kv.second.gt(0.5).sum().item<int64_t>();
  return w;
}

void MaskSet::save(torch::serialize::OutputArchive& archive) const {
  std::string index;
  auto put = [&](const char* kind, const std::string& name, const torch::Tensor& t) {
    const std::string key = str_cat(kind, ".", name);
    index += key + "\n";
    archive.write(key, t);
  };
  for (const auto& kv : weight_) put("weight", graph_.node(kv.first).name, kv.second);
  for (const auto& kv : filterlet_) put("filterlet", graph_.node(kv.first).name, kv.second);
  for (const auto& kv : channel_) put("channel", groups_.group(kv.first).name, kv.second);
  archive.write(kIndexKey, c10::IValue(index));
}

StoredMasks MaskSet::read(torch::serialize::InputArchive& archive) {
  StoredMasks out;
  c10::IValue index;
  if (!archive.try_read(kIndexKey, index)) return out;
  const std::string text = index.toStringRef();
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find('\n', pos);
    const std::string key = text.substr(pos, end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    if (key.empty()) continue;
    torch::Tensor t;
    archive.read(key, t);
    const size_t dot = key.find('.');
    const std::string kind = key.substr(0, dot), name = key.substr(dot + 1);
    if (kind == "weight") out.weight[name] = t;
    else if (kind == "filterlet") out.filterlet[name] = t;
    else if (kind == "channel") out.channel[name] = t;
    else TP_CHECK(false, "checkpoint masks: unknown mask kind \"", kind, "\" in key \"", key, "\"");
  }
  return out;
}

void MaskSet::restore(const StoredMasks& stored) {
  clear();
  auto node_id = [&](const std::string& name) {
    const int id = graph_.find(name);
    TP_CHECK(id >= 0, "checkpoint masks: node \"", name, "\" does not exist in the model's graph");
    return id;
  };
  for (const auto& kv : stored.weight) set_weight_mask(node_id(kv.first), kv.second);
  for (const auto& kv : stored.filterlet) set_filterlet_mask(node_id(kv.first), kv.second);
  for (const auto& kv : stored.channel) {
    const int g = groups_.find(kv.first);
    TP_CHECK(g >= 0, "checkpoint masks: channel group \"", kv.first, "\" does not exist in the model's graph");
    set_channel_mask(g, kv.second);
  }
}

void MaskSet::load(torch::serialize::InputArchive& archive) { restore(read(archive)); }

SparsityReport MaskSet::sparsity(GraphModule& model) const {
  torch::NoGradGuard no_grad;
  SparsityReport r;
  for (int id = 0; id < graph_.size(); ++id) {
    if (!is_weighted(graph_.node(id))) continue;
    const torch::Tensor w = model->weight(id) * counting_mask(id);
    LayerSparsity l{graph_.node(id).name, w.numel(), w.numel() - w.count_nonzero().item<int64_t>()};
    r.weights += l.weights;
    r.zeros += l.zeros;
    r.layers.push_back(l);
  }
  return r;
}

Json SparsityReport::to_json() const {
  Json j = Json::object();
  j["overall"] = sparsity();
  j["weights"] = weights;
  j["zeros"] = zeros;
  Json per = Json::object();
  for (const auto& l : layers) per[l.name] = l.sparsity();
  j["layers"] = per;
  return j;
}

SparsityReport measure_sparsity(GraphModule& model) { return MaskSet(model->graph()).sparsity(model); }

}  // namespace tinyprune
