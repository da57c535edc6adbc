#include "export/blob_writer.h"

#include <torch/torch.h>

#include "core/error.h"
#include "runtime/include/tpr_builder.h"

namespace tinyprune {

namespace {

// Owns a tpr_builder for the duration of one write.
class Builder {
 public:
  Builder() { tpr_builder_init(&b_, nullptr, nullptr); }
  ~Builder() { tpr_builder_free(&b_); }
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;
  tpr_builder* get() { return &b_; }

 private:
  tpr_builder b_;
};

void check(tpr_status st, const std::string& what) {
  TP_CHECK_T(ExportError, st == TPR_OK, "blob builder rejected ", what, ": ", tpr_status_str(st));
}

struct QuantArrays {
  std::vector<int32_t> bias, mult, shift;
  explicit QuantArrays(const QOp& o) {
    bias = o.bias;
    for (const Requant& r : o.requant) {
      mult.push_back(r.multiplier);
      shift.push_back(r.shift);
    }
  }
};

tpr_fmt_act act_code(OpKind a) {
  return a == OpKind::kReLU ? TPR_ACT_RELU : (a == OpKind::kReLU6 ? TPR_ACT_RELU6 : TPR_ACT_NONE);
}

void record_stats(LayerStorage& l, const tpr_weight_stats& s) {
  l.storage = s.kind == TPR_WEIGHTS_FWCS ? "fwcs" : "dense";
  l.weight_bytes = s.values_bytes + s.index_bytes;
  l.dense_weight_bytes = s.dense_bytes;
  l.quant_bytes = s.quant_bytes;
}

}  // namespace

BlobBuild write_blob(const QuantizedModel& q, const MemoryPlan& plan, StoragePolicy policy) {
  torch::NoGradGuard no_grad;
  const size_t nt = q.tensors.size();
  TP_CHECK_T(ExportError, plan.offsets.size() == nt, "memory plan has ", plan.offsets.size(), " tensors, model ", nt);
  TP_CHECK_T(ExportError, nt <= TPR_FMT_MAX_TENSORS, "too many tensors for the blob format: ", nt);
  Builder builder;
  tpr_builder* b = builder.get();

  for (size_t t = 0; t < nt; ++t) {
    const QTensor& x = q.tensors[t];
    tpr_builder_tensor d{};
    d.rank = x.rank;
    if (x.rank == 4) {
      d.dims[0] = 1;
      d.dims[1] = static_cast<int32_t>(x.shape.h);
      d.dims[2] = static_cast<int32_t>(x.shape.w);
      d.dims[3] = static_cast<int32_t>(x.shape.c);
    } else {
      d.dims[0] = 1;
      d.dims[1] = static_cast<int32_t>(x.shape.numel());
    }
    d.scale = x.q.scale;
    d.zero_point = x.q.zero_point;
    uint16_t id = 0;
    check(tpr_builder_add_tensor(b, &d, &id), "tensor \"" + x.name + "\"");
    TP_CHECK_T(ExportError, id == t, "blob builder assigned tensor id ", id, " to tensor ", t);
  }

  std::vector<int> op_of_tensor(nt, -1);
  for (size_t i = 0; i < q.ops.size(); ++i) op_of_tensor[static_cast<size_t>(q.ops[i].output)] = static_cast<int>(i);
  const tpr_storage storage = policy == StoragePolicy::kAuto
                                  ? TPR_STORAGE_AUTO
                                  : (policy == StoragePolicy::kNever ? TPR_STORAGE_DENSE : TPR_STORAGE_FWCS);
  BlobBuild out;
  for (int t : plan.order) {
    TP_CHECK_T(ExportError, t >= 0 && static_cast<size_t>(t) < nt && op_of_tensor[static_cast<size_t>(t)] >= 0,
               "execution order names tensor ", t, " which no op produces");
    const QOp& o = q.ops[static_cast<size_t>(op_of_tensor[static_cast<size_t>(t)])];
    const QTensor& in = q.tensors[static_cast<size_t>(o.inputs[0])];
    const QTensor& y = q.tensors[static_cast<size_t>(o.output)];
    const std::string what = std::string(qop_type_name(o.type)) + " \"" + o.name + "\"";
    const auto in_id = static_cast<uint16_t>(o.inputs[0]);
    const auto out_id = static_cast<uint16_t>(o.output);
    LayerStorage layer;
    layer.name = o.name;
    layer.op = qop_type_name(o.type);
    tpr_weight_stats stats{};
    switch (o.type) {
      case QOpType::kConv2d:
      case QOpType::kDepthwiseConv2d: {
        const bool dw = o.type == QOpType::kDepthwiseConv2d;
        const torch::Tensor w = dw ? o.weight.permute({2, 3, 1, 0}).contiguous() : o.weight.permute({0, 2, 3, 1}).contiguous();
        const torch::Tensor keep = o.keep.to(torch::kUInt8).contiguous();
        QuantArrays qa(o);
        tpr_builder_conv c{};
        c.input = in_id;
        c.output = out_id;
        c.stride_h = static_cast<int32_t>(o.stride_h);
        c.stride_w = static_cast<int32_t>(o.stride_w);
        c.pad_top = static_cast<int32_t>(o.pad_top);
        c.pad_bottom = static_cast<int32_t>(o.pad_bottom);
        c.pad_left = static_cast<int32_t>(o.pad_left);
        c.pad_right = static_cast<int32_t>(o.pad_right);
        c.act_min = o.act.min;
        c.act_max = o.act.max;
        c.act = act_code(o.activation);
        c.cout = static_cast<int32_t>(o.weight.size(0));
        c.kh = static_cast<int32_t>(o.weight.size(2));
        c.kw = static_cast<int32_t>(o.weight.size(3));
        c.cin = static_cast<int32_t>(in.shape.c);
        c.weights = w.data_ptr<int8_t>();
        c.keep = dw ? nullptr : keep.data_ptr<uint8_t>();
        c.bias = qa.bias.data();
        c.multiplier = qa.mult.data();
        c.shift = qa.shift.data();
        c.storage = storage;
        check(dw ? tpr_builder_add_depthwise_conv2d(b, &c, &stats) : tpr_builder_add_conv2d(b, &c, &stats), what);
        record_stats(layer, stats);
        const int64_t hw = y.shape.h * y.shape.w;
        const int64_t cin_per_filter = dw ? 1 : in.shape.c;
        layer.filterlets = dw ? 0 : int64_t{c.cout} * c.kh * c.kw;
        layer.kept_filterlets = dw ? 0 : stats.nkept;
        layer.macs = hw * c.cout * c.kh * c.kw * cin_per_filter;
        layer.executed_macs = dw ? layer.macs : hw * int64_t{stats.nkept} * cin_per_filter;
        break;
      }
      case QOpType::kFullyConnected: {
        const int64_t cout = o.weight.size(0);
        torch::Tensor w = o.weight;
        if (in.shape.h * in.shape.w > 1)  // NCHW flatten order -> NHWC byte order
          w = w.view({cout, in.shape.c, in.shape.h, in.shape.w}).permute({0, 2, 3, 1}).reshape({cout, -1});
        w = w.contiguous();
        QuantArrays qa(o);
        tpr_builder_fc f{};
        f.input = in_id;
        f.output = out_id;
        f.in_features = static_cast<int32_t>(w.size(1));
        f.out_features = static_cast<int32_t>(cout);
        f.weights = w.data_ptr<int8_t>();
        f.bias = qa.bias.data();
        f.multiplier = qa.mult.data();
        f.shift = qa.shift.data();
        f.act_min = o.act.min;
        f.act_max = o.act.max;
        f.act = act_code(o.activation);
        check(tpr_builder_add_fully_connected(b, &f, &stats), what);
        record_stats(layer, stats);
        layer.macs = layer.executed_macs = cout * w.size(1);
        break;
      }
      case QOpType::kAdd: {
        tpr_builder_add a{};
        a.input0 = in_id;
        a.input1 = static_cast<uint16_t>(o.inputs[1]);
        a.output = out_id;
        a.left_shift = o.add.left_shift;
        a.input0_mult = o.add.input0.multiplier;
        a.input0_shift = o.add.input0.shift;
        a.input1_mult = o.add.input1.multiplier;
        a.input1_shift = o.add.input1.shift;
        a.output_mult = o.add.output.multiplier;
        a.output_shift = o.add.output.shift;
        a.act_min = o.act.min;
        a.act_max = o.act.max;
        a.act = act_code(o.activation);
        check(tpr_builder_add_add(b, &a), what);
        break;
      }
      case QOpType::kMaxPool:
      case QOpType::kAvgPool: {
        tpr_builder_pool p{};
        p.input = in_id;
        p.output = out_id;
        p.kernel_h = static_cast<int32_t>(o.kernel_h);
        p.kernel_w = static_cast<int32_t>(o.kernel_w);
        p.stride_h = static_cast<int32_t>(o.stride_h);
        p.stride_w = static_cast<int32_t>(o.stride_w);
        p.pad_top = static_cast<int32_t>(o.pad_top);
        p.pad_bottom = static_cast<int32_t>(o.pad_bottom);
        p.pad_left = static_cast<int32_t>(o.pad_left);
        p.pad_right = static_cast<int32_t>(o.pad_right);
        p.act_min = o.act.min;
        p.act_max = o.act.max;
        check(o.type == QOpType::kMaxPool ? tpr_builder_add_max_pool(b, &p) : tpr_builder_add_avg_pool(b, &p), what);
        break;
      }
      case QOpType::kGlobalAvgPool: {
        tpr_builder_gap g{};
        g.input = in_id;
        g.output = out_id;
        g.multiplier = o.gap.multiplier;
        g.shift = o.gap.shift;
        g.act_min = o.act.min;
        g.act_max = o.act.max;
        check(tpr_builder_add_global_avg_pool(b, &g), what);
        break;
      }
    }
    out.layers.push_back(std::move(layer));
  }

  const auto in_id = static_cast<uint16_t>(q.input);
  const auto out_id = static_cast<uint16_t>(q.output);
  check(tpr_builder_set_io(b, &in_id, 1, &out_id, 1), "graph inputs/outputs");
  std::vector<uint32_t> offsets(nt);
  for (size_t t = 0; t < nt; ++t) offsets[t] = static_cast<uint32_t>(plan.offsets[t]);
  TP_CHECK_T(ExportError, plan.arena_bytes <= 0xFFFFFFFFll, "arena of ", plan.arena_bytes, " bytes is too large");
  check(tpr_builder_set_plan(b, static_cast<uint32_t>(plan.arena_bytes), offsets.data(), nt), "memory plan");
  size_t size = 0;
  check(tpr_builder_blob_size(b, &size), "the model");
  out.blob.resize(size);
  size_t written = 0;
  check(tpr_builder_write(b, out.blob.data(), out.blob.size(), &written), "the model");
  out.blob.resize(written);
  return out;
}

}  // namespace tinyprune
