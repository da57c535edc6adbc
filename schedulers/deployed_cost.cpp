#include "schedulers/deployed_cost.h"

#include "core/error.h"
#include "runtime/include/tpr_builder.h"

namespace tinyprune {
namespace {

tpr_weight_stats weight_stats(int layout, int64_t cout, int64_t kh, int64_t kw, int64_t cin, int64_t kept,
                              const std::string& name) {
  tpr_weight_stats s{};
  const tpr_status st = tpr_builder_weight_stats(layout, static_cast<int32_t>(cout), static_cast<int32_t>(kh),
                                                 static_cast<int32_t>(kw), static_cast<int32_t>(cin),
                                                 static_cast<uint32_t>(kept), TPR_STORAGE_AUTO, &s);
  TP_CHECK(st == TPR_OK, "layer \"", name, "\": the blob format cannot store weights of shape ", cout, "x", kh, "x",
           kw, "x", cin, " with ", kept, " kept filterlets");
  return s;
}

}  // namespace

DeployedCost deployed_cost(const ResourceModel& rm, const std::vector<int64_t>& widths,
                           const std::map<int, int64_t>& kept_filterlets, const KernelCostModel& cost, bool per_op) {
  const Graph& g = rm.graph();
  const ChannelGroups& groups = rm.groups();
  TP_CHECK_T(ResourceError, widths.size() == static_cast<size_t>(groups.size()), "deployed_cost: ", widths.size(),
             " widths for ", groups.size(), " channel groups");
  DeployedCost out;
  for (const DeployedOp& op : rm.deployed().ops()) {
    const Node& p = g.node(op.primary);
    const Node& y = g.node(op.output_node);
    const int64_t pixels = y.shape.h * y.shape.w;
    const int64_t cout = groups.channels(op.output_node, widths);
    OpCost c;
    c.op = static_cast<int>(&op - rm.deployed().ops().data());
    c.name = op.name;
    tpr_weight_stats s{};
    bool has_weights = true;
    switch (p.kind) {
      case OpKind::kConv2d: {
        const int64_t cin = groups.channels(p.inputs[0], widths);
        // Depthwise incl. a depth multiplier (groups == input channels), as the exporter maps it.
        if (p.groups > 1 && p.groups == g.in_channels(op.primary) && p.out_channels % p.groups == 0) {
          s = weight_stats(TPR_LAYOUT_1HWO, cout, p.kernel_h, p.kernel_w, 1, cout * p.kernel_h * p.kernel_w, op.name);
          c.executed_macs = pixels * cout * p.kernel_h * p.kernel_w;
          c.latency = cost.depthwise(pixels, cout, p.kernel_h, p.kernel_w);
          break;
        }
        TP_CHECK(p.groups == 1, "conv \"", p.name, "\": grouped convolution (groups ", p.groups,
                 ") is not supported by the runtime");
        const int64_t all = cout * p.kernel_h * p.kernel_w;
        auto it = kept_filterlets.find(op.primary);
        const int64_t kept = it == kept_filterlets.end() ? all : it->second;
        TP_CHECK(kept >= 0 && kept <= all, "conv \"", p.name, "\": ", kept, " kept filterlets, expected 0..", all);
        s = weight_stats(TPR_LAYOUT_OHWI, cout, p.kernel_h, p.kernel_w, cin, kept, op.name);
        c.filterlets = all;
        const bool fwcs = s.kind == TPR_WEIGHTS_FWCS;
        c.executed_macs = pixels * static_cast<int64_t>(s.nkept) * cin;
        c.latency = cost.conv(pixels, cout, cin, p.kernel_h, p.kernel_w, fwcs, static_cast<int64_t>(s.nkept),
                              fwcs && s.pos_bits == TPR_FMT_FWCS_EF_POS_BITS);
        break;
      }
      case OpKind::kLinear: {
        const int64_t in = groups.channels(p.inputs[0], widths);
        s = weight_stats(TPR_LAYOUT_OHWI, cout, 1, 1, in, cout, op.name);
        c.executed_macs = in * cout;
        c.latency = cost.fully_connected(in, cout);
        break;
      }
      case OpKind::kBatchNorm:  // standalone: a 1x1 depthwise conv
        s = weight_stats(TPR_LAYOUT_1HWO, cout, 1, 1, 1, cout, op.name);
        c.executed_macs = pixels * cout;
        c.latency = cost.depthwise(pixels, cout, 1, 1);
        break;
      case OpKind::kInput:
        has_weights = false;
        break;
      case OpKind::kMaxPool:
      case OpKind::kAvgPool:
      case OpKind::kGlobalAvgPool: {
        has_weights = false;
        const Node& x = g.node(p.inputs[0]);
        c.latency = cost.elementwise_bytes(x.shape.h * x.shape.w * groups.channels(p.inputs[0], widths));
        break;
      }
      default:  // Add, standalone ReLU/ReLU6
        has_weights = false;
        c.latency = cost.elementwise_bytes(pixels * cout);
        break;
    }
    if (has_weights) {
      c.storage = s.kind == TPR_WEIGHTS_FWCS ? "fwcs" : "dense";
      c.weight_bytes = static_cast<int64_t>(s.values_bytes) + s.index_bytes;
      c.quant_bytes = s.quant_bytes;
      c.kept_filterlets = c.filterlets > 0 ? static_cast<int64_t>(s.nkept) : 0;
    }
    out.flash_bytes += c.weight_bytes + c.quant_bytes;
    out.executed_macs += c.executed_macs;
    out.latency += c.latency;
    if (per_op) out.ops.push_back(std::move(c));
  }
  return out;
}

}  // namespace tinyprune
