#include "core/graph.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "core/error.h"

namespace tinyprune {
namespace {

struct KindName {
  OpKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {
    {OpKind::kInput, "input"},         {OpKind::kConv2d, "conv2d"},
    {OpKind::kBatchNorm, "batch_norm"}, {OpKind::kReLU, "relu"},
    {OpKind::kReLU6, "relu6"},         {OpKind::kMaxPool, "max_pool"},
    {OpKind::kAvgPool, "avg_pool"},    {OpKind::kGlobalAvgPool, "global_avg_pool"},
    {OpKind::kAdd, "add"},             {OpKind::kFlatten, "flatten"},
    {OpKind::kLinear, "linear"},       {OpKind::kDropout, "dropout"},
};

// Short prefixes for generated names ("conv3", "bn2").
std::string_view name_prefix(OpKind kind) {
  switch (kind) {
    case OpKind::kConv2d: return "conv";
    case OpKind::kBatchNorm: return "bn";
    case OpKind::kLinear: return "fc";
    case OpKind::kGlobalAvgPool: return "gap";
    default: return op_kind_name(kind);
  }
}

bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

int64_t pooled_extent(int64_t in, int64_t k, int64_t s, int64_t p) { return (in + 2 * p - k) / s + 1; }

}  // namespace

std::string_view op_kind_name(OpKind kind) {
  for (const auto& kn : kKindNames)
    if (kn.kind == kind) return kn.name;
  return "unknown";
}

OpKind op_kind_from_name(std::string_view name) {
  for (const auto& kn : kKindNames)
    if (name == kn.name) return kn.kind;
  throw GraphError(str_cat("unknown op kind \"", name, "\""));
}

// --- builders -------------------------------------------------------------------------------

int Graph::input(int64_t channels, int64_t height, int64_t width, std::string name) {
  TP_CHECK_T(GraphError, nodes_.empty(), "graph already has an input");
  Node n;
  n.name = std::move(name);
  n.kind = OpKind::kInput;
  n.out_channels = channels;
  n.shape = {channels, height, width};
  return append(std::move(n));
}

int Graph::conv2d(int x, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding,
                  int64_t groups, bool bias, std::string name) {
  Node n;
  n.name = std::move(name);
  n.kind = OpKind::kConv2d;
  n.inputs = {x};
  n.out_channels = out_channels;
  n.kernel_h = n.kernel_w = kernel;
  n.stride_h = n.stride_w = stride;
  n.pad_h = n.pad_w = padding;
  n.groups = groups;
  n.bias = bias;
  return append(std::move(n));
}

int Graph::batch_norm(int x, std::string name, double eps, double momentum) {
  Node n;
  n.name = std::move(name);
  n.kind = OpKind::kBatchNorm;
  n.inputs = {x};
  n.eps = eps;
  n.momentum = momentum;
  return append(std::move(n));
}

int Graph::relu(int x, std::string name) {
  Node n;
  n.name = std::move(name);
  n.kind = OpKind::kReLU;
  n.inputs = {x};
  return append(std::move(n));
}

int Graph::relu6(int x, std::string name) {
  Node n;
  n.name = std::move(name);
  n.kind = OpKind::kReLU6;
  n.inputs = {x};
  return append(std::move(n));
}

int Graph::max_pool(int x, int64_t kernel, int64_t stride, int64_t padding, std::string name) {
  Node n;
  n.name = std::move(name);
  n.kind = OpKind::kMaxPool;
  n.inputs = {x};
  n.kernel_h = n.kernel_w = kernel;
  n.stride_h = n.stride_w = stride;
  n.pad_h = n.pad_w = padding;
  return append(std::move(n));
}

int Graph::avg_pool(int x, int64_t kernel, int64_t stride, int64_t padding, std::string name) {
  Node n;
  n.name = std::move(name);
  n.kind = OpKind::kAvgPool;
  n.inputs = {x};
  n.kernel_h = n.kernel_w = kernel;
  n.stride_h = n.stride_w = stride;
  n.pad_h = n.pad_w = padding;
  return append(std::move(n));
}

int Graph::global_avg_pool(int x, std::string name) {
  Node n;
  n.name = std::move(name);
  n.kind = OpKind::kGlobalAvgPool;
  n.inputs = {x};
  return append(std::move(n));
}

int Graph::add(int a, int b, std::string name) {
  Node n;
  n.name = std::move(name);
  n.kind = OpKind::kAdd;
  n.inputs = {a, b};
  return append(std::move(n));
}

int Graph::flatten(int x, std::string name) {
  Node n;
  n.name = std::move(name);
  n.kind = OpKind::kFlatten;
  n.inputs = {x};
  return append(std::move(n));
}

int Graph::linear(int x, int64_t out_features, bool bias, std::string name) {
  Node n;
  n.name = std::move(name);
  n.kind = OpKind::kLinear;
  n.inputs = {x};
  n.out_channels = out_features;
  n.bias = bias;
  return append(std::move(n));
}

int Graph::dropout(int x, double p, std::string name) {
  Node n;
  n.name = std::move(name);
  n.kind = OpKind::kDropout;
  n.inputs = {x};
  n.p = p;
  return append(std::move(n));
}

int Graph::add_node(Node node) {
  if (node.kind == OpKind::kInput) {
    TP_CHECK_T(GraphError, nodes_.empty(), "graph already has an input; node \"", node.name, "\"");
    node.shape = {node.out_channels, node.shape.h, node.shape.w};
    node.name = unique_name(std::move(node.name), "input");
    nodes_.push_back(std::move(node));
    return 0;
  }
  return append(std::move(node));
}

std::string Graph::unique_name(std::string name, std::string_view prefix) {
  if (name.empty()) {
    int k = 0;
    for (const auto& n : nodes_)
      if (n.name.rfind(prefix, 0) == 0) ++k;
    do {
      name = str_cat(prefix, k++);
    } while (find(name) >= 0);
    return name;
  }
  TP_CHECK_T(GraphError, valid_name(name), "node name \"", name,
             "\" is invalid: expected letters, digits and '_' only");
  TP_CHECK_T(GraphError, find(name) < 0, "duplicate node name \"", name, "\"");
  return name;
}

int Graph::append(Node n) {
  if (n.kind != OpKind::kInput)
    TP_CHECK_T(GraphError, !nodes_.empty(), "graph has no input node; add Graph::input() first");
  n.name = unique_name(std::move(n.name), name_prefix(n.kind));
  const int id = size();
  for (int in : n.inputs)
    TP_CHECK_T(GraphError, in >= 0 && in < id, "node \"", n.name, "\": input id ", in,
               " does not name an earlier node");
  n.shape = n.kind == OpKind::kInput ? n.shape : infer_node(n, id);
  nodes_.push_back(std::move(n));
  return id;
}

// --- queries --------------------------------------------------------------------------------

void Graph::set_output(int id) {
  TP_CHECK_T(GraphError, id >= 0 && id < size(), "output id ", id, " out of range");
  output_ = id;
}

int Graph::output() const {
  TP_CHECK_T(GraphError, !nodes_.empty(), "empty graph has no output");
  return output_ >= 0 ? output_ : size() - 1;
}

const Node& Graph::node(int id) const {
  TP_CHECK_T(GraphError, id >= 0 && id < size(), "node id ", id, " out of range [0, ", size(), ")");
  return nodes_[static_cast<size_t>(id)];
}

Node& Graph::mutable_node(int id) {
  TP_CHECK_T(GraphError, id >= 0 && id < size(), "node id ", id, " out of range [0, ", size(), ")");
  return nodes_[static_cast<size_t>(id)];
}

int Graph::find(std::string_view name) const {
  for (int i = 0; i < size(); ++i)
    if (nodes_[static_cast<size_t>(i)].name == name) return i;
  return -1;
}

int Graph::at(std::string_view name) const {
  const int id = find(name);
  TP_CHECK_T(GraphError, id >= 0, "graph has no node named \"", name, "\"");
  return id;
}

std::vector<int> Graph::consumers(int id) const {
  std::vector<int> out;
  for (int i = id + 1; i < size(); ++i)
    for (int in : nodes_[static_cast<size_t>(i)].inputs)
      if (in == id) {
        out.push_back(i);
        break;
      }
  return out;
}

int64_t Graph::in_channels(int id) const {
  const Node& n = node(id);
  TP_CHECK_T(GraphError, !n.inputs.empty(), "node \"", n.name, "\" has no input");
  return node(n.inputs[0]).shape.c;
}

// --- shape inference --------------------------------------------------------------------------

TensorShape Graph::infer_node(const Node& n, int id) const {
  auto fail = [&](const std::string& what) -> GraphError {
    return GraphError(str_cat("node \"", n.name, "\" (", op_kind_name(n.kind), "): ", what));
  };
  if (n.inputs.empty()) throw fail("has no input");
  const size_t want_inputs = n.kind == OpKind::kAdd ? 2 : 1;
  if (n.inputs.size() != want_inputs)
    throw fail(str_cat("expected ", want_inputs, " input(s), got ", n.inputs.size()));
  for (int in : n.inputs)
    if (in < 0 || in >= id) throw fail(str_cat("input id ", in, " does not name an earlier node"));
  const TensorShape in = nodes_[static_cast<size_t>(n.inputs[0])].shape;

  switch (n.kind) {
    case OpKind::kConv2d: {
      if (n.out_channels <= 0) throw fail(str_cat("out_channels must be > 0, got ", n.out_channels));
      if (n.groups <= 0 || in.c % n.groups != 0 || n.out_channels % n.groups != 0)
        throw fail(str_cat("groups=", n.groups, " must divide in_channels=", in.c,
                           " and out_channels=", n.out_channels));
      if (n.kernel_h <= 0 || n.kernel_w <= 0 || n.stride_h <= 0 || n.stride_w <= 0 || n.pad_h < 0 ||
          n.pad_w < 0)
        throw fail("kernel and stride must be > 0 and padding >= 0");
      if (in.h + 2 * n.pad_h < n.kernel_h || in.w + 2 * n.pad_w < n.kernel_w)
        throw fail(str_cat("input ", in.h, "x", in.w, " (padding ", n.pad_h, ") is smaller than the ",
                           n.kernel_h, "x", n.kernel_w,
                           " kernel; the input size is too small for this model's strides"));
      return {n.out_channels, pooled_extent(in.h, n.kernel_h, n.stride_h, n.pad_h),
              pooled_extent(in.w, n.kernel_w, n.stride_w, n.pad_w)};
    }
    case OpKind::kMaxPool:
    case OpKind::kAvgPool: {
      if (n.kernel_h <= 0 || n.stride_h <= 0 || n.kernel_w <= 0 || n.stride_w <= 0)
        throw fail("kernel and stride must be > 0");
      if (2 * n.pad_h > n.kernel_h || 2 * n.pad_w > n.kernel_w)
        throw fail("padding must be at most half the kernel size");
      if (in.h + 2 * n.pad_h < n.kernel_h || in.w + 2 * n.pad_w < n.kernel_w)
        throw fail(str_cat("input ", in.h, "x", in.w, " is smaller than the ", n.kernel_h, "x",
                           n.kernel_w, " pooling window; the input size is too small for this model"));
      return {in.c, pooled_extent(in.h, n.kernel_h, n.stride_h, n.pad_h),
              pooled_extent(in.w, n.kernel_w, n.stride_w, n.pad_w)};
    }
    case OpKind::kBatchNorm:
    case OpKind::kReLU:
    case OpKind::kReLU6:
    case OpKind::kDropout:
      if (n.kind == OpKind::kDropout && (n.p < 0.0 || n.p >= 1.0))
        throw fail(str_cat("dropout p must be in [0, 1), got ", n.p));
      return in;
    case OpKind::kGlobalAvgPool:
      return {in.c, 1, 1};
    case OpKind::kAdd: {
      const TensorShape other = nodes_[static_cast<size_t>(n.inputs[1])].shape;
      if (other != in)
        throw fail(str_cat("summand shapes differ: (", in.c, ",", in.h, ",", in.w, ") vs (", other.c,
                           ",", other.h, ",", other.w, ")"));
      return in;
    }
    case OpKind::kFlatten:
      return {in.numel(), 1, 1};
    case OpKind::kLinear:
      if (in.h != 1 || in.w != 1)
        throw fail(str_cat("input must be flat (C,1,1), got (", in.c, ",", in.h, ",", in.w,
                           "); insert a flatten or global_avg_pool"));
      if (n.out_channels <= 0) throw fail(str_cat("out_features must be > 0, got ", n.out_channels));
      return {n.out_channels, 1, 1};
    case OpKind::kInput:
      break;
  }
  throw fail("unexpected op kind");
}

void Graph::infer_shapes() {
  for (int i = 0; i < size(); ++i) {
    Node& n = nodes_[static_cast<size_t>(i)];
    if (n.kind == OpKind::kInput) {
      TP_CHECK_T(GraphError, i == 0, "node \"", n.name, "\": only node 0 may be an input");
      n.shape.c = n.out_channels;
      continue;
    }
    n.shape = infer_node(n, i);
  }
}

int64_t Graph::param_count(int id) const {
  const Node& n = node(id);
  switch (n.kind) {
    case OpKind::kConv2d:
      return n.out_channels * (in_channels(id) / n.groups) * n.kernel_h * n.kernel_w +
             (n.bias ? n.out_channels : 0);
    case OpKind::kLinear:
      return n.out_channels * in_channels(id) + (n.bias ? n.out_channels : 0);
    case OpKind::kBatchNorm:
      return 2 * n.shape.c;
    default:
      return 0;
  }
}

int64_t Graph::param_count() const {
  int64_t total = 0;
  for (int i = 0; i < size(); ++i) total += param_count(i);
  return total;
}

// --- serialization ----------------------------------------------------------------------------

std::string Graph::to_yaml() const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "format" << YAML::Value << "tinyprune-graph-1";
  out << YAML::Key << "output" << YAML::Value << node(output()).name;
  out << YAML::Key << "nodes" << YAML::Value << YAML::BeginSeq;
  for (const Node& n : nodes_) {
    out << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << n.name;
    out << YAML::Key << "op" << YAML::Value << std::string(op_kind_name(n.kind));
    if (!n.inputs.empty()) {
      out << YAML::Key << "inputs" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (int in : n.inputs) out << nodes_[static_cast<size_t>(in)].name;
      out << YAML::EndSeq;
    }
    switch (n.kind) {
      case OpKind::kInput:
        out << YAML::Key << "shape" << YAML::Value << YAML::Flow << YAML::BeginSeq << n.shape.c
            << n.shape.h << n.shape.w << YAML::EndSeq;
        break;
      case OpKind::kConv2d:
        out << YAML::Key << "out_channels" << YAML::Value << n.out_channels;
        out << YAML::Key << "kernel" << YAML::Value << YAML::Flow << YAML::BeginSeq << n.kernel_h
            << n.kernel_w << YAML::EndSeq;
        out << YAML::Key << "stride" << YAML::Value << YAML::Flow << YAML::BeginSeq << n.stride_h
            << n.stride_w << YAML::EndSeq;
        out << YAML::Key << "padding" << YAML::Value << YAML::Flow << YAML::BeginSeq << n.pad_h
            << n.pad_w << YAML::EndSeq;
        out << YAML::Key << "groups" << YAML::Value << n.groups;
        out << YAML::Key << "bias" << YAML::Value << n.bias;
        break;
      case OpKind::kMaxPool:
      case OpKind::kAvgPool:
        out << YAML::Key << "kernel" << YAML::Value << YAML::Flow << YAML::BeginSeq << n.kernel_h
            << n.kernel_w << YAML::EndSeq;
        out << YAML::Key << "stride" << YAML::Value << YAML::Flow << YAML::BeginSeq << n.stride_h
            << n.stride_w << YAML::EndSeq;
        out << YAML::Key << "padding" << YAML::Value << YAML::Flow << YAML::BeginSeq << n.pad_h
            << n.pad_w << YAML::EndSeq;
        break;
      case OpKind::kBatchNorm:
        out << YAML::Key << "eps" << YAML::Value << n.eps;
        out << YAML::Key << "momentum" << YAML::Value << n.momentum;
        break;
      case OpKind::kLinear:
        out << YAML::Key << "out_features" << YAML::Value << n.out_channels;
        out << YAML::Key << "bias" << YAML::Value << n.bias;
        break;
      case OpKind::kDropout:
        out << YAML::Key << "p" << YAML::Value << n.p;
        break;
      default:
        break;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

Graph Graph::from_yaml(const YAML::Node& root, const std::string& where) {
  auto err = [&](const YAML::Node& at, const std::string& what) {
    return GraphError(str_cat(where, ":", at.Mark().line + 1, ": ", what));
  };
  if (!root.IsMap() || !root["nodes"] || !root["nodes"].IsSequence())
    throw GraphError(str_cat(where, ": expected a map with a 'nodes' sequence (a tinyprune graph file)"));
  Graph g;
  try {
    for (const YAML::Node& y : root["nodes"]) {
      Node n;
      if (!y["name"] || !y["op"]) throw err(y, "every node needs 'name' and 'op'");
      n.name = y["name"].as<std::string>();
      n.kind = op_kind_from_name(y["op"].as<std::string>());
      if (y["inputs"])
        for (const YAML::Node& in : y["inputs"]) {
          const int id = g.find(in.as<std::string>());
          if (id < 0) throw err(in, str_cat("node \"", n.name, "\": unknown input \"", in.as<std::string>(), "\""));
          n.inputs.push_back(id);
        }
      auto pair = [&](const char* key, int64_t& a, int64_t& b) {
        if (!y[key]) return;
        a = y[key][0].as<int64_t>();
        b = y[key][1].as<int64_t>();
      };
      switch (n.kind) {
        case OpKind::kInput: {
          const YAML::Node s = y["shape"];
          if (!s || !s.IsSequence() || s.size() != 3) throw err(y, "input node needs 'shape: [C, H, W]'");
          n.out_channels = s[0].as<int64_t>();
          n.shape = {n.out_channels, s[1].as<int64_t>(), s[2].as<int64_t>()};
          break;
        }
        case OpKind::kConv2d:
          n.out_channels = y["out_channels"].as<int64_t>();
          pair("kernel", n.kernel_h, n.kernel_w);
          pair("stride", n.stride_h, n.stride_w);
          pair("padding", n.pad_h, n.pad_w);
          if (y["groups"]) n.groups = y["groups"].as<int64_t>();
          if (y["bias"]) n.bias = y["bias"].as<bool>();
          break;
        case OpKind::kMaxPool:
        case OpKind::kAvgPool:
          pair("kernel", n.kernel_h, n.kernel_w);
          pair("stride", n.stride_h, n.stride_w);
          pair("padding", n.pad_h, n.pad_w);
          break;
        case OpKind::kBatchNorm:
          if (y["eps"]) n.eps = y["eps"].as<double>();
          if (y["momentum"]) n.momentum = y["momentum"].as<double>();
          break;
        case OpKind::kLinear:
          n.out_channels = y["out_features"].as<int64_t>();
          if (y["bias"]) n.bias = y["bias"].as<bool>();
          break;
        case OpKind::kDropout:
          if (y["p"]) n.p = y["p"].as<double>();
          break;
        default:
          break;
      }
      g.add_node(std::move(n));
    }
    if (root["output"]) g.set_output(g.at(root["output"].as<std::string>()));
  } catch (const YAML::Exception& e) {
    throw GraphError(str_cat(where, ":", e.mark.line + 1, ": malformed graph: ", e.msg));
  }
  if (g.size() == 0) throw GraphError(str_cat(where, ": graph has no nodes"));
  return g;
}

}  // namespace tinyprune
