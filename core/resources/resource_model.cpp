#include "core/resources/resource_model.h"

#include <cmath>

#include "core/error.h"
#include "core/resources/layer_cost.h"
#include "core/resources/peak_memory.h"

namespace tinyprune {
namespace {

int64_t to_int(double x) { return static_cast<int64_t>(std::llround(x)); }

PeakMemoryOptions pmu_options(const ResourceOptions& o) {
  PeakMemoryOptions p;
  p.inplace_add = o.inplace_add;
  p.state_cap = o.dp_state_cap;
  p.fallback_to_default_order = o.fallback_to_default_order;
  return p;
}

}  // namespace

ResourceModel::ResourceModel(Graph graph, ResourceOptions options)
    : graph_(std::move(graph)), options_(options), groups_(graph_), deployed_(graph_) {
  TP_CHECK_T(ResourceError, options_.bytes_per_element >= 1, "bytes_per_element must be >= 1, got ",
             options_.bytes_per_element);
}

TensorGraph ResourceModel::make_tensor_graph(const std::vector<double>& bytes) const {
  TensorGraph tg;
  for (const DeployedOp& op : deployed_.ops())
    tg.add_tensor(op.name, bytes[static_cast<size_t>(tg.size())], op.inputs, /*inplace=*/op.kind == OpKind::kAdd);
  tg.set_outputs({deployed_.output()});
  return tg;
}

TensorGraph ResourceModel::tensor_graph(const std::vector<int64_t>& widths) const {
  groups_.validate_widths(widths);
  std::vector<double> bytes;
  for (const DeployedOp& op : deployed_.ops()) {
    const TensorShape& s = graph_.node(op.output_node).shape;
    bytes.push_back(static_cast<double>(options_.bytes_per_element * s.h * s.w * groups_.channels(op.output_node, widths)));
  }
  return make_tensor_graph(bytes);
}

ResourceReport ResourceModel::evaluate() const { return evaluate(groups_.original_widths()); }

ResourceReport ResourceModel::evaluate(const std::vector<int64_t>& widths) const {
  return evaluate_impl(widths, nullptr, nullptr);
}

ResourceReport ResourceModel::evaluate_multipliers(const std::vector<double>& pi) const {
  return evaluate(groups_.widths_from_multipliers(pi));
}

ResourceReport ResourceModel::evaluate_impl(const std::vector<int64_t>& widths, std::vector<int>* default_bottleneck,
                                            std::vector<int>* naive_bottleneck) const {
  groups_.validate_widths(widths);
  ResourceReport r;
  r.widths = widths;
  auto ch = [&](int node) { return static_cast<double>(groups_.channels(node, widths)); };
  std::vector<double> bytes;
  for (const DeployedOp& op : deployed_.ops()) {
    const LayerCost<double> c = layer_cost<double>(graph_, op, options_.bytes_per_element, ch);
    LayerResources l;
    l.op = static_cast<int>(r.layers.size());
    l.name = op.name;
    l.kind = op.kind;
    for (size_t k = 1; k < op.nodes.size(); ++k) l.fused.push_back(graph_.node(op.nodes[k]).name);
    const TensorShape& s = graph_.node(op.output_node).shape;
    l.shape = {groups_.channels(op.output_node, widths), s.h, s.w};
    l.group = groups_.group_of(op.output_node);
    l.params = to_int(c.params);
    l.macs = to_int(c.macs);
    l.weight_bytes = to_int(c.weight_bytes);
    l.flash_bytes = to_int(c.flash_bytes);
    l.activation_bytes = to_int(c.activation_bytes);
    r.params += l.params;
    r.macs += l.macs;
    r.model_size_bytes += l.flash_bytes;
    r.model_size_weights_only_bytes += l.weight_bytes;
    bytes.push_back(c.activation_bytes);
    r.layers.push_back(std::move(l));
  }

  const TensorGraph tg = make_tensor_graph(bytes);
  const PeakMemoryOptions popts = pmu_options(options_);
  const PeakMemoryResult best = peak_memory(tg, popts);
  r.peak_memory_bytes = to_int(best.peak);
  r.peak_memory_exact = best.exact;
  r.peak_memory_note = best.fallback_reason;
  r.dp_states = best.states;
  r.execution_order = best.order;
  for (int t : best.order) r.execution_order_names.push_back(deployed_.op(t).name);
  r.bottleneck = best.memory.bottleneck;
  for (int t : r.bottleneck) r.layers[static_cast<size_t>(t)].in_bottleneck = true;

  const ScheduleMemory def = schedule_memory(tg, tg.default_order(), popts.inplace_add);
  r.peak_memory_default_order_bytes = to_int(def.peak);
  const NaivePeakMemory naive = naive_peak_memory(tg);
  r.peak_memory_naive_bytes = to_int(naive.peak);
  if (default_bottleneck) *default_bottleneck = def.bottleneck;
  if (naive_bottleneck) *naive_bottleneck = naive.bottleneck;
  return r;
}

ResourceGradients ResourceModel::gradients(const std::vector<double>& pi) const {
  ResourceGradients out;
  std::vector<int> def_bottleneck, naive_bottleneck;
  out.report = evaluate_impl(groups_.widths_from_multipliers(pi), &def_bottleneck, &naive_bottleneck);

  // Channels as duals of the relaxation c = pi_g * C_g * multiplier (constants on fixed groups).
  auto ch = [&](int node) {
    const int g = groups_.group_of(node);
    const ChannelGroup& grp = groups_.group(g);
    const double slope = static_cast<double>(grp.channels * groups_.channel_multiplier(node));
    return grp.prunable ? Dual::variable(pi[static_cast<size_t>(g)] * slope, g, slope) : Dual(slope);
  };
  const size_t n = static_cast<size_t>(groups_.size());
  out.params.assign(n, 0.0);
  out.macs.assign(n, 0.0);
  out.model_size_bytes.assign(n, 0.0);
  out.model_size_weights_only_bytes.assign(n, 0.0);
  out.peak_memory_bytes.assign(n, 0.0);
  out.peak_memory_default_order_bytes.assign(n, 0.0);
  out.peak_memory_naive_bytes.assign(n, 0.0);
  std::vector<Dual> activation;
  for (const DeployedOp& op : deployed_.ops()) {
    const LayerCost<Dual> c = layer_cost<Dual>(graph_, op, options_.bytes_per_element, ch);
    c.params.add_gradient_to(out.params);
    c.macs.add_gradient_to(out.macs);
    c.flash_bytes.add_gradient_to(out.model_size_bytes);
    c.weight_bytes.add_gradient_to(out.model_size_weights_only_bytes);
    activation.push_back(c.activation_bytes);
  }
  // PMU(pi) = sum of the bottleneck tensors' bytes (algorithms.md 3.5).
  for (int t : out.report.bottleneck) activation[static_cast<size_t>(t)].add_gradient_to(out.peak_memory_bytes);
  for (int t : def_bottleneck) activation[static_cast<size_t>(t)].add_gradient_to(out.peak_memory_default_order_bytes);
  for (int t : naive_bottleneck) activation[static_cast<size_t>(t)].add_gradient_to(out.peak_memory_naive_bytes);
  return out;
}

RelaxedResources ResourceModel::relaxed(const std::vector<double>& pi) const {
  groups_.widths_from_multipliers(pi);  // validates pi
  auto ch = [&](int node) {
    const int g = groups_.group_of(node);
    const ChannelGroup& grp = groups_.group(g);
    const double c = static_cast<double>(grp.channels * groups_.channel_multiplier(node));
    return grp.prunable ? pi[static_cast<size_t>(g)] * c : c;
  };
  RelaxedResources r;
  std::vector<double> bytes;
  for (const DeployedOp& op : deployed_.ops()) {
    const LayerCost<double> c = layer_cost<double>(graph_, op, options_.bytes_per_element, ch);
    r.params += c.params;
    r.macs += c.macs;
    r.model_size_bytes += c.flash_bytes;
    r.model_size_weights_only_bytes += c.weight_bytes;
    bytes.push_back(c.activation_bytes);
  }
  const TensorGraph tg = make_tensor_graph(bytes);
  const PeakMemoryOptions popts = pmu_options(options_);
  r.peak_memory_bytes = peak_memory(tg, popts).peak;
  r.peak_memory_default_order_bytes = schedule_memory(tg, tg.default_order(), popts.inplace_add).peak;
  r.peak_memory_naive_bytes = naive_peak_memory(tg).peak;
  return r;
}

}  // namespace tinyprune
