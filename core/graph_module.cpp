#include "core/graph_module.h"

#include <torch/torch.h>

#include "core/error.h"

namespace tinyprune {

GraphModuleImpl::GraphModuleImpl(Graph graph) : graph_(std::move(graph)) {
  graph_.infer_shapes();
  const int n = graph_.size();
  convs_.resize(static_cast<size_t>(n), nullptr);
  bns_.resize(static_cast<size_t>(n), nullptr);
  linears_.resize(static_cast<size_t>(n), nullptr);
  masks_.resize(static_cast<size_t>(n));
  last_use_.assign(static_cast<size_t>(n), -1);

  for (int id = 0; id < n; ++id) {
    const Node& node = graph_.node(id);
    for (int in : node.inputs) last_use_[static_cast<size_t>(in)] = id;
    switch (node.kind) {
      case OpKind::kConv2d: {
        auto opts = torch::nn::Conv2dOptions(graph_.in_channels(id), node.out_channels,
                                             {node.kernel_h, node.kernel_w})
                        .stride({node.stride_h, node.stride_w})
                        .padding({node.pad_h, node.pad_w})
                        .groups(node.groups)
                        .bias(node.bias);
        auto conv = register_module(node.name, torch::nn::Conv2d(opts));
        torch::NoGradGuard no_grad;
        // Kaiming-normal with fan-out suits the ReLU/BN stacks of the zoo (as torchvision does).
        torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
        if (node.bias) conv->bias.zero_();
        convs_[static_cast<size_t>(id)] = conv;
        break;
      }
      case OpKind::kBatchNorm: {
        auto opts = torch::nn::BatchNorm2dOptions(graph_.in_channels(id)).eps(node.eps).momentum(node.momentum);
        bns_[static_cast<size_t>(id)] = register_module(node.name, torch::nn::BatchNorm2d(opts));
        break;
      }
      case OpKind::kLinear: {
        auto opts = torch::nn::LinearOptions(graph_.in_channels(id), node.out_channels).bias(node.bias);
        linears_[static_cast<size_t>(id)] = register_module(node.name, torch::nn::Linear(opts));
        break;
      }
      default:
        break;
    }
  }
  last_use_[static_cast<size_t>(graph_.output())] = n;  // the result outlives the loop
}

void GraphModuleImpl::check_input(const torch::Tensor& x) const {
  const TensorShape s = graph_.node(0).shape;
  TP_CHECK_T(GraphError, x.dim() == 4 && x.size(1) == s.c && x.size(2) == s.h && x.size(3) == s.w,
             "model input must be [N, ", s.c, ", ", s.h, ", ", s.w, "], got ", x.sizes());
}

torch::Tensor GraphModuleImpl::run_node(int id, const std::vector<torch::Tensor>& values) {
  const Node& node = graph_.node(id);
  const torch::Tensor& x = values[static_cast<size_t>(node.inputs.empty() ? 0 : node.inputs[0])];
  torch::Tensor y;
  switch (node.kind) {
    case OpKind::kConv2d: y = convs_[static_cast<size_t>(id)]->forward(x); break;
    case OpKind::kBatchNorm: {
      const torch::Tensor& m = masks_[static_cast<size_t>(id)];
      if (!m.defined()) {
        y = bns_[static_cast<size_t>(id)]->forward(x);
        break;
      }
      // A masked BN multiplies its affine parameters, not its [N, C, H, W] output:
      // (x_hat*gamma + beta)*m == x_hat*(gamma*m) + beta*m, with the same gradients for gamma, beta
      // and m, at a per-channel instead of a per-element cost.
      auto& bn = bns_[static_cast<size_t>(id)];
      if (is_training()) bn->num_batches_tracked += 1;
      return torch::nn::functional::batch_norm(
          x, bn->running_mean, bn->running_var,
          torch::nn::functional::BatchNormFuncOptions()
              .weight(bn->weight * m)
              .bias(bn->bias * m)
              .training(is_training())
              .momentum(node.momentum)
              .eps(node.eps));
    }
    case OpKind::kReLU: y = torch::relu(x); break;
    case OpKind::kReLU6: y = torch::hardtanh(x, 0.0, 6.0); break;
    case OpKind::kMaxPool:
      y = torch::max_pool2d(x, {node.kernel_h, node.kernel_w}, {node.stride_h, node.stride_w},
                            {node.pad_h, node.pad_w});
      break;
    case OpKind::kAvgPool:
      y = torch::avg_pool2d(x, {node.kernel_h, node.kernel_w}, {node.stride_h, node.stride_w},
                            {node.pad_h, node.pad_w});
      break;
    case OpKind::kGlobalAvgPool: y = x.mean({2, 3}, /*keepdim=*/true); break;
    case OpKind::kAdd: y = x + values[static_cast<size_t>(node.inputs[1])]; break;
    case OpKind::kFlatten: y = x.flatten(1).view({x.size(0), -1, 1, 1}); break;
    case OpKind::kLinear:
      y = linears_[static_cast<size_t>(id)]->forward(x.view({x.size(0), -1})).view({x.size(0), -1, 1, 1});
      break;
    case OpKind::kDropout: y = torch::dropout(x, node.p, is_training()); break;
    case OpKind::kInput: y = x; break;
  }
  const torch::Tensor& mask = masks_[static_cast<size_t>(id)];
  if (mask.defined()) y = y * mask.view({1, -1, 1, 1});
  return y;
}

torch::Tensor GraphModuleImpl::forward(const torch::Tensor& input) {
  check_input(input);
  const torch::Tensor x = input.contiguous(memory_format_);
  const int n = graph_.size();
  std::vector<torch::Tensor> values(static_cast<size_t>(n));
  values[0] = masks_[0].defined() ? x * masks_[0].view({1, -1, 1, 1}) : x;
  for (int id = 1; id < n; ++id) {
    values[static_cast<size_t>(id)] = run_node(id, values);
    // Release inputs whose last consumer just ran: keeps activation memory at the live set.
    for (int in : graph_.node(id).inputs)
      if (last_use_[static_cast<size_t>(in)] == id) values[static_cast<size_t>(in)] = torch::Tensor();
    if (id == graph_.output()) break;
  }
  torch::Tensor out = values[static_cast<size_t>(graph_.output())];
  // Classifier graphs end in (N, classes, 1, 1); callers expect (N, classes).
  return out.size(2) == 1 && out.size(3) == 1 ? out.view({out.size(0), out.size(1)}) : out;
}

std::vector<torch::Tensor> GraphModuleImpl::forward_all(const torch::Tensor& input) {
  check_input(input);
  const torch::Tensor x = input.contiguous(memory_format_);
  const int n = graph_.size();
  std::vector<torch::Tensor> values(static_cast<size_t>(n));
  values[0] = masks_[0].defined() ? x * masks_[0].view({1, -1, 1, 1}) : x;
  for (int id = 1; id < n; ++id) values[static_cast<size_t>(id)] = run_node(id, values);
  return values;
}

torch::nn::Conv2d& GraphModuleImpl::conv(int id) {
  TP_CHECK_T(GraphError, graph_.node(id).kind == OpKind::kConv2d, "node \"", graph_.node(id).name,
             "\" is not a conv2d");
  return convs_[static_cast<size_t>(id)];
}

torch::nn::BatchNorm2d& GraphModuleImpl::batch_norm(int id) {
  TP_CHECK_T(GraphError, graph_.node(id).kind == OpKind::kBatchNorm, "node \"", graph_.node(id).name,
             "\" is not a batch_norm");
  return bns_[static_cast<size_t>(id)];
}

torch::nn::Linear& GraphModuleImpl::linear(int id) {
  TP_CHECK_T(GraphError, graph_.node(id).kind == OpKind::kLinear, "node \"", graph_.node(id).name,
             "\" is not a linear");
  return linears_[static_cast<size_t>(id)];
}

torch::Tensor GraphModuleImpl::weight(int id) {
  const OpKind k = graph_.node(id).kind;
  if (k == OpKind::kConv2d) return convs_[static_cast<size_t>(id)]->weight;
  if (k == OpKind::kLinear) return linears_[static_cast<size_t>(id)]->weight;
  throw GraphError(str_cat("node \"", graph_.node(id).name, "\" has no weight tensor"));
}

void GraphModuleImpl::set_memory_format(c10::MemoryFormat format) {
  TP_CHECK_T(GraphError, format == c10::MemoryFormat::Contiguous || format == c10::MemoryFormat::ChannelsLast,
             "GraphModule supports the contiguous and channels_last memory formats, got ", format);
  torch::NoGradGuard no_grad;
  for (auto& conv : convs_) {
    if (!conv || conv->weight.suggest_memory_format() == format) continue;
    // Fresh strides rather than contiguous(format): a weight with one input channel already
    // counts as channels_last-contiguous, but only explicit NHWC strides make the conv (and the
    // BN, ReLU and pool after it) pick their NHWC kernels.
    torch::Tensor w = torch::empty(conv->weight.sizes(), conv->weight.options().memory_format(format));
    w.copy_(conv->weight);
    conv->weight.set_data(w);
  }
  memory_format_ = format;
}

void GraphModuleImpl::set_output_mask(int id, torch::Tensor mask) {
  const Node& node = graph_.node(id);
  if (mask.defined())
    TP_CHECK_T(GraphError, mask.dim() == 1 && mask.size(0) == node.shape.c, "output mask of node \"",
               node.name, "\" must have shape [", node.shape.c, "], got ", mask.sizes());
  masks_[static_cast<size_t>(id)] = std::move(mask);
}

const torch::Tensor& GraphModuleImpl::output_mask(int id) const {
  graph_.node(id);  // range check
  return masks_[static_cast<size_t>(id)];
}

void GraphModuleImpl::clear_output_masks() {
  for (auto& m : masks_) m = torch::Tensor();
}

}  // namespace tinyprune
