#include "export/quantize.h"

#include <torch/torch.h>

#include <cmath>

#include "core/error.h"
#include "export/bn_folding.h"

namespace tinyprune {

namespace {

constexpr int64_t kMaxU8 = 255;  // strides and pool kernels are u8 fields in the blob

torch::Tensor round_half_away(const torch::Tensor& x) { return torch::sign(x) * torch::floor(torch::abs(x) + 0.5); }

// Checks and sets the explicit padding of a conv / pool node (IR padding is symmetric).
void set_spatial(QOp& o, const Node& n) {
  o.kernel_h = n.kernel_h;
  o.kernel_w = n.kernel_w;
  o.stride_h = n.stride_h;
  o.stride_w = n.stride_w;
  o.pad_top = o.pad_bottom = n.pad_h;
  o.pad_left = o.pad_right = n.pad_w;
  TP_CHECK_T(ExportError, n.stride_h >= 1 && n.stride_h <= kMaxU8 && n.stride_w >= 1 && n.stride_w <= kMaxU8,
             "node \"", n.name, "\": strides must be in [1, 255] for the runtime, got ", n.stride_h, "x", n.stride_w);
  TP_CHECK_T(ExportError, n.pad_h < n.kernel_h && n.pad_w < n.kernel_w, "node \"", n.name,
             "\": padding must be smaller than the kernel for the runtime, got padding ", n.pad_h, "x", n.pad_w,
             " with kernel ", n.kernel_h, "x", n.kernel_w);
}

// Validates a caller-given filterlet mask against a conv weight [Cout, Cin/groups, KH, KW].
torch::Tensor checked_mask(const std::string& name, const torch::Tensor& mask, const torch::Tensor& weight) {
  const std::vector<int64_t> want = {weight.size(0), weight.size(2), weight.size(3)};
  TP_CHECK_T(ExportError, mask.defined() && mask.sizes().vec() == want, "filterlet mask of \"", name,
             "\" must have shape [", want[0], ", ", want[1], ", ", want[2], "] ([Cout][KH][KW]), got ",
             mask.defined() ? mask.sizes() : c10::IntArrayRef{});
  return mask.detach().to(torch::kCPU).ne(0);
}

// Per-channel symmetric weights, int32 bias and requantization of a folded layer (FORMAT.md 9.2).
void quantize_weights(QOp& o, const FoldedLayer& f, const ActivationParams& in, const ActivationParams& out,
                      const torch::Tensor& mask) {
  torch::Tensor w = f.weight;
  const int64_t cout = w.size(0);
  if (mask.defined()) w = w * mask.to(torch::kDouble).unsqueeze(1);
  const torch::Tensor max_abs = w.abs().reshape({cout, -1}).amax(1);
  const double s_in = in.scale, s_out = out.scale;
  auto ma = max_abs.accessor<double, 1>();
  auto b = f.bias.accessor<double, 1>();
  o.weight_scale.resize(static_cast<size_t>(cout));
  o.bias.resize(static_cast<size_t>(cout));
  o.requant.resize(static_cast<size_t>(cout));
  for (int64_t c = 0; c < cout; ++c) {
    const double s_w = choose_weight_scale(ma[c], std::abs(b[c]), s_in);
    o.weight_scale[static_cast<size_t>(c)] = s_w;
    const int64_t bias = tinyprune::round_half_away(b[c] / (s_in * s_w));
    TP_CHECK_T(ExportError, std::llabs(bias) <= (int64_t{1} << 30), "op \"", o.name, "\" channel ", c, ": bias ", b[c],
               " does not fit the runtime's int32 range");
    o.bias[static_cast<size_t>(c)] = static_cast<int32_t>(bias);
    o.requant[static_cast<size_t>(c)] = quantize_multiplier(s_in * s_w / s_out);
  }
  std::vector<int64_t> shape(static_cast<size_t>(w.dim()), 1);
  shape[0] = cout;
  const torch::Tensor scales = torch::tensor(o.weight_scale, torch::kDouble).view(shape);
  o.weight = round_half_away(w / scales).clamp(-127, 127).to(torch::kInt8).contiguous();
  if (w.dim() == 4) o.keep = mask.defined() ? mask.contiguous() : o.weight.ne(0).any(1).contiguous();
}

}  // namespace

const char* qop_type_name(QOpType type) {
  switch (type) {
    case QOpType::kConv2d: return "conv2d";
    case QOpType::kDepthwiseConv2d: return "depthwise_conv2d";
    case QOpType::kFullyConnected: return "fully_connected";
    case QOpType::kAdd: return "add";
    case QOpType::kMaxPool: return "max_pool";
    case QOpType::kAvgPool: return "avg_pool";
    case QOpType::kGlobalAvgPool: return "global_avg_pool";
  }
  return "?";
}

int QuantizedModel::op_producing(int t) const {
  for (size_t i = 0; i < ops.size(); ++i)
    if (ops[i].output == t) return static_cast<int>(i);
  return -1;
}

QuantizedModel quantize_model(GraphModuleImpl& model, const DeployedGraph& d, const ActivationRanges& ranges,
                              const FilterletMasks& masks) {
  torch::NoGradGuard no_grad;
  check_output_masks(model);
  const Graph& g = model.graph();
  TP_CHECK_T(ExportError, static_cast<int>(ranges.min.size()) == d.size() && static_cast<int>(ranges.max.size()) == d.size(),
             "calibration ranges cover ", ranges.min.size(), " tensors, the deployed graph has ", d.size());
  for (const auto& [name, mask] : masks) {
    const int id = g.find(name);
    TP_CHECK_T(ExportError, id >= 0, "filterlet mask for unknown node \"", name, "\"");
    TP_CHECK_T(ExportError, g.node(id).kind == OpKind::kConv2d, "filterlet mask for \"", name, "\": node is a ",
               op_kind_name(g.node(id).kind), ", masks apply to conv2d nodes only");
  }

  QuantizedModel q;
  q.tensors.resize(static_cast<size_t>(d.size()));
  q.input = 0;
  q.output = d.output();
  q.calibration_samples = ranges.samples;
  auto tensor_of_input = [&](const Node& n, size_t i) {
    const int t = d.op_of(n.inputs[i]);
    TP_CHECK_T(ExportError, t >= 0, "node \"", n.name, "\" reads a dropped node");
    return t;
  };

  for (int t = 0; t < d.size(); ++t) {
    const DeployedOp& op = d.op(t);
    QTensor& out = q.tensors[static_cast<size_t>(t)];
    out.name = op.name;
    out.shape = g.node(op.output_node).shape;
    const ActivationParams calibrated =
        choose_activation_params(ranges.min[static_cast<size_t>(t)], ranges.max[static_cast<size_t>(t)]);
    if (op.kind == OpKind::kInput) {
      out.q = calibrated;
      continue;
    }
    const Node& n = g.node(op.primary);
    QOp o;
    o.name = op.name;
    o.ir_kind = n.kind;
    for (size_t i = 1; i < op.nodes.size(); ++i) o.fused.push_back(g.node(op.nodes[i]).name);
    o.output = t;
    o.activation = op.activation;
    for (size_t i = 0; i < n.inputs.size(); ++i) o.inputs.push_back(tensor_of_input(n, i));
    // Only a linear layer may read a flattened (aliased) tensor: every other op needs its input
    // tensor to have the shape its IR input has.
    if (n.kind != OpKind::kLinear)
      for (size_t i = 0; i < n.inputs.size(); ++i)
        TP_CHECK_T(ExportError, g.node(n.inputs[i]).shape == q.tensors[static_cast<size_t>(o.inputs[i])].shape,
                   "node \"", n.name, "\" (", op_kind_name(n.kind), ") reads the flattened tensor of \"",
                   g.node(n.inputs[i]).name, "\"; only linear layers may follow a flatten");
    const QTensor& in = q.tensors[static_cast<size_t>(o.inputs[0])];

    switch (n.kind) {
      case OpKind::kConv2d: {
        const int64_t cin = g.in_channels(op.primary);
        if (n.groups == 1)
          o.type = QOpType::kConv2d;
        else if (n.groups == cin && n.out_channels % cin == 0)
          o.type = QOpType::kDepthwiseConv2d;
        else
          throw ExportError(str_cat("conv \"", n.name, "\": grouped convolution (groups ", n.groups, ", ", cin,
                                    " input channels) is not supported by the runtime; only groups 1 or depthwise"));
        set_spatial(o, n);
        out.q = calibrated;
        const FoldedLayer f = fold_deployed_op(model, op);
        auto it = masks.find(n.name);
        const torch::Tensor mask = it == masks.end() ? torch::Tensor() : checked_mask(n.name, it->second, f.weight);
        quantize_weights(o, f, in.q, out.q, mask);
        break;
      }
      case OpKind::kLinear: {
        o.type = QOpType::kFullyConnected;
        TP_CHECK_T(ExportError, in.shape.numel() == g.in_channels(op.primary), "linear \"", n.name, "\" expects ",
                   g.in_channels(op.primary), " inputs, its input tensor has ", in.shape.numel());
        out.q = calibrated;
        quantize_weights(o, fold_deployed_op(model, op), in.q, out.q, torch::Tensor());
        break;
      }
      case OpKind::kBatchNorm: {
        // Standalone BN: a 1x1 depthwise convolution (per-channel scale + bias).
        o.type = QOpType::kDepthwiseConv2d;
        out.q = calibrated;
        quantize_weights(o, fold_deployed_op(model, op), in.q, out.q, torch::Tensor());
        break;
      }
      case OpKind::kReLU:
      case OpKind::kReLU6:
        // Standalone activation: a 1x1 max pool (identity) whose int8 clamp is the activation.
        o.type = QOpType::kMaxPool;
        o.activation = n.kind;
        out.q = in.q;
        break;
      case OpKind::kMaxPool:
        o.type = QOpType::kMaxPool;
        set_spatial(o, n);
        TP_CHECK_T(ExportError, n.kernel_h <= kMaxU8 && n.kernel_w <= kMaxU8, "max_pool \"", n.name,
                   "\": kernel must be <= 255");
        out.q = in.q;
        break;
      case OpKind::kAvgPool:
        o.type = QOpType::kAvgPool;
        set_spatial(o, n);
        TP_CHECK_T(ExportError, n.pad_h == 0 && n.pad_w == 0, "avg_pool \"", n.name,
                   "\": padding is not supported (LibTorch counts padded taps, the runtime averages valid taps only)");
        TP_CHECK_T(ExportError, n.kernel_h <= kMaxU8 && n.kernel_w <= kMaxU8, "avg_pool \"", n.name,
                   "\": kernel must be <= 255");
        out.q = in.q;
        break;
      case OpKind::kGlobalAvgPool:
        o.type = QOpType::kGlobalAvgPool;
        out.q = calibrated;
        o.gap = quantize_multiplier(static_cast<double>(in.q.scale) /
                                    (static_cast<double>(out.q.scale) * static_cast<double>(in.shape.h * in.shape.w)));
        break;
      case OpKind::kAdd: {
        o.type = QOpType::kAdd;
        out.q = calibrated;
        const QTensor& b = q.tensors[static_cast<size_t>(o.inputs[1])];
        o.add = add_params(in.q.scale, b.q.scale, out.q.scale);
        break;
      }
      default:
        throw ExportError(str_cat("node \"", n.name, "\": ", op_kind_name(n.kind), " cannot be deployed"));
    }
    o.act = activation_range(o.activation, out.q);

    // Blob ranks: fully connected outputs are [1, C]; everything else NHWC [1, H, W, C].
    if (o.type == QOpType::kFullyConnected) {
      out.rank = 2;
    } else if (o.type == QOpType::kAdd) {
      const int ra = in.rank, rb = q.tensors[static_cast<size_t>(o.inputs[1])].rank;
      TP_CHECK_T(ExportError, ra == rb, "add \"", n.name, "\" mixes a fully connected output with a feature map");
      out.rank = ra;
    } else {
      TP_CHECK_T(ExportError, in.rank == 4, "node \"", n.name, "\" (", op_kind_name(n.kind),
                 ") reads the output of a fully connected layer; the runtime supports that for linear and add only");
    }
    q.ops.push_back(std::move(o));
  }
  return q;
}

}  // namespace tinyprune
