// QuantizedModel: the int8 model the exporter produces, before serialization.
//
// It is the one description both consumers read: the blob writer (export/blob_writer.h, through
// the runtime's tpr_builder) and the LibTorch fake-quant simulation (export/fake_quant.h) used to
// check the runtime. It mirrors the DeployedGraph (core/resources/deployed_graph.h):
//   * tensor id == DeployedGraph op id (the input is tensor 0); one activation tensor per op;
//   * ops are listed in definition order (a topological order); the memory plan decides the
//     execution order;
//   * BN is already folded, fused ReLU/ReLU6 are act_min/act_max clamps, Dropout/Flatten are
//     aliases (a fully connected op reads its producer's tensor directly).
// Weights are kept in LibTorch layout here (conv OIHW, FC [out][in] with `in` in NCHW flatten
// order); the blob writer permutes them to OHWI / 1HWO / NHWC-ordered FC columns.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/graph.h"
#include "export/quant_params.h"

namespace tinyprune {

enum class QOpType {
  kConv2d,           // groups 1
  kDepthwiseConv2d,  // groups == input channels, output = input * depth multiplier; also a
                     // standalone BatchNorm (1x1, per-channel scale + bias)
  kFullyConnected,
  kAdd,
  kMaxPool,          // also a standalone ReLU/ReLU6 (1x1 max pool whose clamp is the activation)
  kAvgPool,
  kGlobalAvgPool,
};

// "conv2d", "depthwise_conv2d", "fully_connected", "add", "max_pool", "avg_pool", "global_avg_pool".
const char* qop_type_name(QOpType type);

struct QTensor {
  std::string name;      // the producing deployed op's name ("input" for the graph input)
  TensorShape shape;     // (C, H, W) per sample
  int rank = 4;          // blob layout: 4 = [1, H, W, C] (NHWC), 2 = [1, C] (fully connected outputs)
  ActivationParams q;    // scale, zero point and the calibrated range
  int64_t bytes() const { return shape.numel(); }
};

struct QOp {
  std::string name;                // DeployedOp::name (the primary IR node)
  QOpType type = QOpType::kConv2d;
  OpKind ir_kind = OpKind::kConv2d;  // the primary IR node's kind (kBatchNorm / kReLU: standalone)
  std::vector<std::string> fused;  // IR nodes folded or fused after the primary (BN, ReLU)
  std::vector<int> inputs;         // tensor ids (1, or 2 for Add)
  int output = 0;                  // tensor id (== DeployedGraph op id)
  OpKind activation = OpKind::kInput;  // fused ReLU / ReLU6, kInput = none
  ActRange act;                    // binding int8 clamp

  // Spatial parameters (conv, depthwise, pools); padding is explicit per side.
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;

  // Conv / depthwise / fully connected:
  torch::Tensor weight;             // int8: conv [Cout, Cin, KH, KW]; depthwise [Cout, 1, KH, KW];
                                    // FC [Cout, Cin] (Cin in LibTorch's NCHW flatten order).
                                    // Dropped filterlets hold 0.
  torch::Tensor keep;               // bool [Cout, KH, KW] for conv / depthwise; undefined for FC
  std::vector<double> weight_scale; // s_w[o]
  std::vector<int32_t> bias;        // round(b[o] / (s_in * s_w[o]))
  std::vector<Requant> requant;     // quantize(s_in * s_w[o] / s_out)

  // Add:
  AddParams add;
  // Global average pool: quantize(s_in / (s_out * H * W)).
  Requant gap;

  int64_t out_channels() const { return weight.defined() ? weight.size(0) : 0; }
};

struct QuantizedModel {
  std::vector<QTensor> tensors;  // id == DeployedGraph op id
  std::vector<QOp> ops;          // definition order; ops[k].output ids ascend
  int input = 0;                 // graph input tensor id (0)
  int output = 0;                // graph output tensor id
  int64_t calibration_samples = 0;

  // The op producing tensor `t`; -1 for the input.
  int op_producing(int t) const;
};

}  // namespace tinyprune
