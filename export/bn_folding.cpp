#include "export/bn_folding.h"

#include <torch/torch.h>

#include "core/error.h"

namespace tinyprune {

namespace {

// Applies node `id`'s output mask (if any) to the affine map (W, b) computed so far.
void apply_mask(const GraphModuleImpl& model, int id, torch::Tensor& w, torch::Tensor& b) {
  const torch::Tensor& m = model.output_mask(id);
  if (!m.defined()) return;
  torch::Tensor md = m.detach().to(torch::kDouble);
  std::vector<int64_t> shape(static_cast<size_t>(w.dim()), 1);
  shape[0] = -1;
  w = w * md.view(shape);
  b = b * md;
}

}  // namespace

void check_output_masks(const GraphModuleImpl& model) {
  const Graph& g = model.graph();
  for (int id = 0; id < g.size(); ++id) {
    if (!model.output_mask(id).defined()) continue;
    const OpKind k = g.node(id).kind;
    TP_CHECK_T(ExportError, k == OpKind::kConv2d || k == OpKind::kLinear || k == OpKind::kBatchNorm,
               "node \"", g.node(id).name, "\" (", op_kind_name(k),
               ") has an output mask; the exporter folds masks on conv2d / linear / batch_norm nodes only "
               "(compact the model first)");
  }
}

FoldedLayer fold_deployed_op(GraphModuleImpl& model, const DeployedOp& op) {
  torch::NoGradGuard no_grad;
  const Graph& g = model.graph();
  const Node& primary = g.node(op.primary);
  torch::Tensor w, b;
  switch (primary.kind) {
    case OpKind::kConv2d: {
      auto& conv = model.conv(op.primary);
      w = conv->weight.detach().to(torch::kCPU, torch::kDouble).clone();
      b = primary.bias ? conv->bias.detach().to(torch::kCPU, torch::kDouble).clone()
                       : torch::zeros({w.size(0)}, torch::kDouble);
      break;
    }
    case OpKind::kLinear: {
      auto& lin = model.linear(op.primary);
      w = lin->weight.detach().to(torch::kCPU, torch::kDouble).clone();
      b = primary.bias ? lin->bias.detach().to(torch::kCPU, torch::kDouble).clone()
                       : torch::zeros({w.size(0)}, torch::kDouble);
      break;
    }
    case OpKind::kBatchNorm: {
      // Standalone BN: start from the identity map, the BN step below makes it per-channel affine.
      const int64_t c = primary.shape.c;
      w = torch::ones({c, 1, 1, 1}, torch::kDouble);
      b = torch::zeros({c}, torch::kDouble);
      break;
    }
    default:
      throw ExportError(str_cat("op \"", op.name, "\" (", op_kind_name(primary.kind), ") has no weights to fold"));
  }
  for (int id : op.nodes) {
    const Node& n = g.node(id);
    if (n.kind == OpKind::kBatchNorm) {
      auto& bn = model.batch_norm(id);
      TP_CHECK_T(ExportError, bn->options.affine() && bn->options.track_running_stats(), "batch_norm \"", n.name,
                 "\" must be affine with running statistics to be folded");
      const torch::Tensor gamma = bn->weight.detach().to(torch::kCPU, torch::kDouble);
      const torch::Tensor beta = bn->bias.detach().to(torch::kCPU, torch::kDouble);
      const torch::Tensor mean = bn->running_mean.detach().to(torch::kCPU, torch::kDouble);
      const torch::Tensor var = bn->running_var.detach().to(torch::kCPU, torch::kDouble);
      const torch::Tensor k = gamma / torch::sqrt(var + bn->options.eps());
      std::vector<int64_t> shape(static_cast<size_t>(w.dim()), 1);
      shape[0] = -1;
      w = w * k.view(shape);
      b = k * (b - mean) + beta;
    } else if (n.kind != OpKind::kConv2d && n.kind != OpKind::kLinear) {
      // Fused activations: their masks are rejected by check_output_masks.
      TP_CHECK_T(ExportError, !model.output_mask(id).defined(), "node \"", n.name,
                 "\" has an output mask the exporter cannot fold");
      continue;
    }
    apply_mask(model, id, w, b);
  }
  return {w.contiguous(), b.contiguous()};
}

}  // namespace tinyprune
