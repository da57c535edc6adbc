// The graph IR: the one description of model structure that every part of TinyPrune reads.
//
// A Graph is a list of nodes in topological (definition) order. Each node produces exactly one
// activation tensor, so "tensor id" == "node id". Shapes are per sample, channels first (C, H, W);
// a Flatten or Linear output has H = W = 1 and C = features. Flatten uses NCHW order
// (feature index = c*H*W + h*W + w), as LibTorch does; the exporter permutes for NHWC.
//
// Who reads it: GraphModule (executes it in LibTorch), the ResourceModel (params, bytes, MACs,
// peak memory), ChannelGroups (which channels are tied), compaction (rewrites widths), the
// exporter (int8 graph + memory plan). None of them rediscovers structure on its own.
//
// Usage:
//   Graph g;
//   int x = g.input(1, 28, 28);
//   x = g.conv2d(x, /*out_channels=*/16, /*kernel=*/3, /*stride=*/1, /*padding=*/1);
//   x = g.relu(g.batch_norm(x));
//   x = g.linear(g.flatten(g.global_avg_pool(x)), /*out_features=*/10);
//   g.infer_shapes();   // also called by every builder method; throws GraphError on bad shapes
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace YAML {
class Node;
}

namespace tinyprune {

enum class OpKind {
  kInput,
  kConv2d,         // incl. grouped and depthwise (groups == in_channels == out_channels)
  kBatchNorm,      // BatchNorm2d (affine, running stats)
  kReLU,
  kReLU6,
  kMaxPool,
  kAvgPool,        // count_include_pad = true (as LibTorch's default and TFLite's padding-free use)
  kGlobalAvgPool,  // output (C, 1, 1)
  kAdd,            // element-wise sum of two tensors of identical shape
  kFlatten,        // (C, H, W) -> (C*H*W, 1, 1)
  kLinear,
  kDropout,
};

// Stable snake_case name used in YAML/JSON ("conv2d", "batch_norm", ...).
std::string_view op_kind_name(OpKind kind);
// Inverse of op_kind_name; throws GraphError for an unknown name.
OpKind op_kind_from_name(std::string_view name);

struct TensorShape {
  int64_t c = 0, h = 1, w = 1;
  int64_t numel() const { return c * h * w; }
  bool operator==(const TensorShape& o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const TensorShape& o) const { return !(*this == o); }
};

struct Node {
  std::string name;         // unique, [A-Za-z0-9_]; LibTorch parameters are "<name>.weight"
  OpKind kind = OpKind::kInput;
  std::vector<int> inputs;  // producer node ids (all < this node's id)

  // kConv2d / kLinear: output channels (features). kInput: input channels.
  int64_t out_channels = 0;
  // kConv2d / kMaxPool / kAvgPool.
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t groups = 1;  // kConv2d only
  bool bias = false;   // kConv2d / kLinear
  double eps = 1e-5;   // kBatchNorm
  double momentum = 0.1;  // kBatchNorm (LibTorch convention)
  double p = 0.0;         // kDropout probability

  TensorShape shape;  // output shape; filled by Graph::infer_shapes()

  bool has_weights() const {
    return kind == OpKind::kConv2d || kind == OpKind::kLinear || kind == OpKind::kBatchNorm;
  }
  bool is_depthwise(int64_t in_channels) const {
    return kind == OpKind::kConv2d && groups > 1 && groups == in_channels && groups == out_channels;
  }
};

class Graph {
 public:
  // --- builders: each appends a node, infers its shape and returns its id ---------------------
  // An empty `name` gets a generated one ("conv3", "bn2", ...).
  int input(int64_t channels, int64_t height, int64_t width, std::string name = "input");
  int conv2d(int x, int64_t out_channels, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
             int64_t groups = 1, bool bias = false, std::string name = "");
  int batch_norm(int x, std::string name = "", double eps = 1e-5, double momentum = 0.1);
  int relu(int x, std::string name = "");
  int relu6(int x, std::string name = "");
  int max_pool(int x, int64_t kernel, int64_t stride, int64_t padding = 0, std::string name = "");
  int avg_pool(int x, int64_t kernel, int64_t stride, int64_t padding = 0, std::string name = "");
  int global_avg_pool(int x, std::string name = "");
  int add(int a, int b, std::string name = "");
  int flatten(int x, std::string name = "");
  int linear(int x, int64_t out_features, bool bias = true, std::string name = "");
  int dropout(int x, double p, std::string name = "");
  // Appends a fully specified node (used by deserialization and graph rewrites).
  int add_node(Node node);

  // The network output; defaults to the last node.
  void set_output(int id);
  int output() const;
  // The single graph input (node 0).
  int input_id() const { return 0; }

  int size() const { return static_cast<int>(nodes_.size()); }
  const Node& node(int id) const;
  Node& mutable_node(int id);  // after edits call infer_shapes()
  const std::vector<Node>& nodes() const { return nodes_; }
  // Node id by name; -1 when absent.
  int find(std::string_view name) const;
  // Node id by name; throws GraphError naming the missing node.
  int at(std::string_view name) const;
  // Ids of the nodes that read node `id`'s output, ascending.
  std::vector<int> consumers(int id) const;
  // Channel count of node `id`'s first input (the layer's input width).
  int64_t in_channels(int id) const;

  // Recomputes every node's output shape in order; validates channel counts, kernel fits, Add
  // shape equality, Linear input width. Throws GraphError naming the node.
  void infer_shapes();

  // Learnable parameter count of one node (conv/linear weights and bias, BN gamma and beta).
  int64_t param_count(int id) const;
  // Sum over all nodes.
  int64_t param_count() const;

  // Serialization: a YAML/JSON-compatible description (the run directory's graph file).
  std::string to_yaml() const;
  // `where` names the source (file path) for error messages.
  static Graph from_yaml(const YAML::Node& node, const std::string& where);

 private:
  int append(Node node);
  std::string unique_name(std::string name, std::string_view prefix);
  TensorShape infer_node(const Node& n, int id) const;

  std::vector<Node> nodes_;
  int output_ = -1;
};

}  // namespace tinyprune
