// The per-operator counting rules of the resource model, written once for any number type:
// `double` (values at integer or continuous widths) and `Dual` (value + exact derivative with
// respect to the group width multipliers pi_g, forward mode). Used by ResourceModel only; the
// rules are documented here because the exporter must store exactly what they count.
//
// For a deployed op (see deployed_graph.h) with output channels c_out and input channels c_in
// (a Linear after Flatten sees c_in = group width * H*W), K = KH*KW, HW = Hout*Wout:
//   conv        weights = K * c_in/groups * c_out    (depthwise: K * c_out; stays depthwise)
//   linear      weights = c_in * c_out
//   standalone BN (deployed as a 1x1 depthwise conv)  weights = c
//   params      IR learnable parameters of every node in the op: weights, conv/linear bias,
//               BN gamma+beta (2 per channel) -- equals Graph::param_count at original widths
//   macs        conv: HW * weights; linear: weights; standalone BN: HW * c; others 0
//   weight_bytes  weights at 1 byte (int8)
//   flash_bytes   weight_bytes + per output channel: int32 bias (always: BN folding gives a bias to
//                 bias-free convs) + int32 multiplier + int32 shift = kFlashBytesPerOutputChannel
//   pools, Add, standalone ReLU, input: no parameters, 0 MACs, 0 Flash (scalar quantisation
//                 parameters are ignored)
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/graph.h"
#include "core/resources/deployed_graph.h"

namespace tinyprune {

// int32 bias + int32 requantisation multiplier + int32 shift per conv/linear output channel.
constexpr int64_t kBiasBytesPerChannel = 4;
constexpr int64_t kQuantBytesPerChannel = 8;
constexpr int64_t kFlashBytesPerOutputChannel = kBiasBytesPerChannel + kQuantBytesPerChannel;

// A value with a sparse gradient over channel groups (polynomials of degree <= 2 here, so the
// entry lists stay tiny).
struct Dual {
  double v = 0;
  std::vector<std::pair<int, double>> d;  // (group id, partial derivative)

  Dual() = default;
  Dual(double value) : v(value) {}  // NOLINT: constants convert implicitly
  static Dual variable(double value, int group, double slope) {
    Dual x(value);
    x.d.emplace_back(group, slope);
    return x;
  }
  Dual& operator+=(const Dual& o);
  friend Dual operator+(Dual a, const Dual& b) { return a += b; }
  friend Dual operator*(const Dual& a, const Dual& b);
  // Accumulates scale * d into a dense gradient vector.
  void add_gradient_to(std::vector<double>& grad, double scale = 1.0) const;
};

inline double value_of(double x) { return x; }
inline double value_of(const Dual& x) { return x.v; }

template <typename T>
struct LayerCost {
  T params{0.0}, macs{0.0}, weight_bytes{0.0}, flash_bytes{0.0}, activation_bytes{0.0};
};

// Costs of deployed op `op`; `ch(node)` returns the output channels of an IR node as a T.
template <typename T, typename ChannelsFn>
LayerCost<T> layer_cost(const Graph& graph, const DeployedOp& op, int64_t bytes_per_element, ChannelsFn&& ch) {
  LayerCost<T> c;
  const Node& p = graph.node(op.primary);
  const Node& out = graph.node(op.output_node);
  c.activation_bytes = T(static_cast<double>(bytes_per_element * out.shape.h * out.shape.w)) * ch(op.output_node);
  T weights(0.0);
  T out_channels(0.0);
  switch (p.kind) {
    case OpKind::kConv2d: {
      const double k = static_cast<double>(p.kernel_h * p.kernel_w);
      out_channels = ch(op.primary);
      if (p.is_depthwise(graph.in_channels(op.primary)))
        weights = T(k) * out_channels;
      else
        weights = T(k / static_cast<double>(p.groups)) * ch(p.inputs[0]) * out_channels;
      c.macs = T(static_cast<double>(p.shape.h * p.shape.w)) * weights;
      c.params = weights;
      break;
    }
    case OpKind::kLinear:
      out_channels = ch(op.primary);
      weights = ch(p.inputs[0]) * out_channels;
      c.macs = weights;
      c.params = weights;
      break;
    case OpKind::kBatchNorm:
      out_channels = ch(op.primary);
      weights = out_channels;
      c.macs = T(static_cast<double>(p.shape.h * p.shape.w)) * out_channels;
      break;
    default:
      return c;
  }
  for (int n : op.nodes) {
    const Node& node = graph.node(n);
    if ((node.kind == OpKind::kConv2d || node.kind == OpKind::kLinear) && node.bias) c.params += ch(n);
    if (node.kind == OpKind::kBatchNorm) c.params += T(2.0) * ch(n);
  }
  c.weight_bytes = weights;
  c.flash_bytes = weights + T(static_cast<double>(kFlashBytesPerOutputChannel)) * out_channels;
  return c;
}

}  // namespace tinyprune
