#include "export/fake_quant.h"

#include <torch/torch.h>

#include "core/error.h"

namespace tinyprune {

namespace {

torch::Tensor round_half_away(const torch::Tensor& x) { return torch::sign(x) * torch::floor(torch::abs(x) + 0.5); }

// real float64 -> int8 through the output parameters and the op's clamp.
torch::Tensor requantize(const torch::Tensor& real, const ActivationParams& p, const ActRange& act) {
  return (round_half_away(real / static_cast<double>(p.scale)) + p.zero_point)
      .clamp(act.min, act.max)
      .to(torch::kInt8);
}

torch::Tensor per_channel(const std::vector<double>& v, int64_t dims) {
  std::vector<int64_t> shape(static_cast<size_t>(dims), 1);
  shape[0] = -1;
  return torch::tensor(v, torch::kDouble).view(shape);
}

// Dequantized weights and bias of a conv / depthwise / FC op, given the input scale.
std::pair<torch::Tensor, torch::Tensor> real_weights(const QOp& o, double s_in) {
  const torch::Tensor s_w = torch::tensor(o.weight_scale, torch::kDouble);
  torch::Tensor w = o.weight.to(torch::kDouble) * per_channel(o.weight_scale, o.weight.dim());
  torch::Tensor b = torch::tensor(std::vector<int64_t>(o.bias.begin(), o.bias.end()), torch::kLong).to(torch::kDouble) *
                    s_w * s_in;
  return {w, b};
}

}  // namespace

torch::Tensor quantize_tensor(const torch::Tensor& x, const ActivationParams& p) {
  return (round_half_away(x.to(torch::kDouble) / static_cast<double>(p.scale)) + p.zero_point)
      .clamp(-128, 127)
      .to(torch::kInt8);
}

torch::Tensor quantize_input(const QuantizedModel& q, const torch::Tensor& images) {
  return quantize_tensor(images, q.tensors[static_cast<size_t>(q.input)].q);
}

torch::Tensor dequantize(const torch::Tensor& x, const ActivationParams& p) {
  return (x.to(torch::kDouble) - p.zero_point) * static_cast<double>(p.scale);
}

torch::Tensor to_nhwc(const torch::Tensor& x) { return x.permute({0, 2, 3, 1}).contiguous(); }

torch::Tensor simulate_op(const QuantizedModel& q, const QOp& o, const std::vector<torch::Tensor>& v) {
  torch::NoGradGuard no_grad;
  const QTensor& tin = q.tensors[static_cast<size_t>(o.inputs[0])];
  const QTensor& tout = q.tensors[static_cast<size_t>(o.output)];
  const torch::Tensor& x = v[static_cast<size_t>(o.inputs[0])];
  TP_CHECK_T(ExportError, x.defined(), "simulation of \"", o.name, "\": input tensor ", o.inputs[0], " has no value");
  const int64_t n = x.size(0);
  torch::Tensor y;
  switch (o.type) {
    case QOpType::kConv2d:
    case QOpType::kDepthwiseConv2d: {
      auto [w, b] = real_weights(o, tin.q.scale);
      const int64_t groups = o.type == QOpType::kConv2d ? 1 : tin.shape.c;
      y = torch::conv2d(dequantize(x, tin.q), w, b, torch::IntArrayRef{o.stride_h, o.stride_w},
                        torch::IntArrayRef{o.pad_top, o.pad_left}, torch::IntArrayRef{1, 1}, groups);
      return requantize(y, tout.q, o.act);
    }
    case QOpType::kFullyConnected: {
      auto [w, b] = real_weights(o, tin.q.scale);
      y = torch::linear(dequantize(x, tin.q).reshape({n, -1}), w, b);
      return requantize(y, tout.q, o.act).view({n, -1, 1, 1});
    }
    case QOpType::kAdd: {
      const QTensor& tb = q.tensors[static_cast<size_t>(o.inputs[1])];
      y = dequantize(x, tin.q) + dequantize(v[static_cast<size_t>(o.inputs[1])], tb.q);
      return requantize(y, tout.q, o.act);
    }
    case QOpType::kMaxPool:
      // Input and output share parameters: pool the integers; padding never wins (-inf).
      return torch::max_pool2d(x.to(torch::kDouble), {o.kernel_h, o.kernel_w}, {o.stride_h, o.stride_w},
                               {o.pad_top, o.pad_left})
          .clamp(o.act.min, o.act.max)
          .to(torch::kInt8);
    case QOpType::kAvgPool:
      return round_half_away(
                 torch::avg_pool2d(x.to(torch::kDouble), {o.kernel_h, o.kernel_w}, {o.stride_h, o.stride_w}, {0, 0}))
          .clamp(o.act.min, o.act.max)
          .to(torch::kInt8);
    case QOpType::kGlobalAvgPool:
      return requantize(dequantize(x, tin.q).mean({2, 3}, /*keepdim=*/true), tout.q, o.act);
  }
  throw ExportError(str_cat("simulation: unknown op type of \"", o.name, "\""));
}

std::vector<torch::Tensor> simulate_all(const QuantizedModel& q, const torch::Tensor& input_q) {
  const TensorShape& s = q.tensors[static_cast<size_t>(q.input)].shape;
  TP_CHECK_T(ExportError,
             input_q.dim() == 4 && input_q.size(1) == s.c && input_q.size(2) == s.h && input_q.size(3) == s.w &&
                 input_q.scalar_type() == torch::kInt8,
             "simulation input must be int8 [N, ", s.c, ", ", s.h, ", ", s.w, "], got ", input_q.sizes(), " ",
             input_q.scalar_type());
  std::vector<torch::Tensor> v(q.tensors.size());
  v[static_cast<size_t>(q.input)] = input_q;
  for (const QOp& o : q.ops) v[static_cast<size_t>(o.output)] = simulate_op(q, o, v);
  return v;
}

torch::Tensor simulate(const QuantizedModel& q, const torch::Tensor& input_q) {
  return simulate_all(q, input_q)[static_cast<size_t>(q.output)];
}

}  // namespace tinyprune
