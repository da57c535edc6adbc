// ResourceModel: the one resource model of TinyPrune. Pruner budgets, `tinyprune analyze`, the
// exporter's memory plan (execution order) and every report read their numbers from here.
//
// For a Graph and per-channel-group widths (ChannelGroups; integers, or continuous multipliers
// pi_g deployed as max(1, floor(pi_g*C_g))) it reports, for int8 deployment of the DeployedGraph
// view (BN folded, ReLU fused, Dropout/Flatten free; see deployed_graph.h):
//   params                          learnable parameters (conv/linear weights + biases, BN gamma/beta)
//   macs                            conv (incl. grouped/depthwise): Hout*Wout*Cout*KH*KW*Cin/groups;
//                                   linear: in*out; standalone BN: H*W*C
//   model_size_bytes                Flash: int8 weights + per conv/linear output channel an int32
//                                   bias, int32 multiplier and int32 shift (layer_cost.h)
//   model_size_weights_only_bytes   int8 weights only (the paper's MODELSIZE)
//   peak_memory_bytes               exact minimum SRAM over all execution orders (DP), int8
//                                   activations, graph input counted, weights 0 SRAM
//   peak_memory_default_order_bytes the definition order's peak
//   peak_memory_naive_bytes         max over ops of inputs + output (ablation baseline)
// plus the optimal execution order, the bottleneck tensors and a per-layer breakdown.
// Gradients w.r.t. pi follow algorithms.md 2.5/3.5: the value path uses the deployed integer
// widths, the derivative path the continuous relaxation c_g = pi_g*C_g; the PMU gradient is the
// derivative of the bytes of the tensors resident at the optimal order's peak step.
//
// Pure and deterministic (same graph + widths -> same numbers); const methods are thread-safe.
//
// Usage:
//   ResourceModel rm(graph);                          // graph with inferred shapes
//   ResourceReport r = rm.evaluate();                 // original widths
//   std::vector<double> pi = rm.groups().unit_multipliers();  pi[g] = 0.5;
//   ResourceGradients gr = rm.gradients(pi);          // gr.report at deployed widths, d/dpi_g
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/resources/channel_groups.h"
#include "core/resources/deployed_graph.h"
#include "core/resources/resource_options.h"
#include "core/resources/tensor_graph.h"

namespace tinyprune {

// One deployed op (= one runtime layer and its output tensor).
struct LayerResources {
  int op = 0;                       // DeployedGraph op id (== tensor id)
  std::string name;                 // the op's primary node name
  OpKind kind = OpKind::kInput;
  std::vector<std::string> fused;   // IR nodes folded/fused into it after the primary (BN, ReLU)
  TensorShape shape;                // output tensor shape at the evaluated widths
  int group = -1;                   // channel group of the output tensor
  int64_t params = 0;
  int64_t macs = 0;
  int64_t weight_bytes = 0;         // int8 weights (Flash)
  int64_t flash_bytes = 0;          // weights + bias + quantisation parameters (Flash)
  int64_t activation_bytes = 0;     // output tensor (SRAM)
  bool in_bottleneck = false;       // resident at the peak step of the reported PMU schedule
};

struct ResourceReport {
  std::vector<int64_t> widths;      // per channel group
  int64_t params = 0;
  int64_t macs = 0;
  int64_t model_size_bytes = 0;
  int64_t model_size_weights_only_bytes = 0;
  int64_t peak_memory_bytes = 0;    // exact optimum; the default order's when !peak_memory_exact
  bool peak_memory_exact = true;    // false: the DP hit its state cap and fell back
  std::string peak_memory_note;     // the fallback reason ("" when exact)
  int64_t peak_memory_default_order_bytes = 0;
  int64_t peak_memory_naive_bytes = 0;
  int64_t dp_states = 0;            // memoised DP states (0 after a fallback)
  std::vector<int> execution_order; // op ids of the PMU schedule (input excluded)
  std::vector<std::string> execution_order_names;
  std::vector<int> bottleneck;      // op ids whose tensors are resident at the peak
  std::vector<LayerResources> layers;  // every deployed op incl. the input, definition order
};

// Values of the continuous relaxation c_g = pi_g*C_g (no flooring); PMUs solved on real sizes.
struct RelaxedResources {
  double params = 0, macs = 0, model_size_bytes = 0, model_size_weights_only_bytes = 0;
  double peak_memory_bytes = 0, peak_memory_default_order_bytes = 0, peak_memory_naive_bytes = 0;
};

// d(objective)/d(pi_g), one entry per channel group; 0 for non-prunable groups.
struct ResourceGradients {
  ResourceReport report;  // values at the deployed widths max(1, floor(pi*C))
  std::vector<double> params, macs, model_size_bytes, model_size_weights_only_bytes;
  std::vector<double> peak_memory_bytes;                // through report.bottleneck
  std::vector<double> peak_memory_default_order_bytes;  // through the definition order's peak
  std::vector<double> peak_memory_naive_bytes;          // through the arg-max op's tensors
};

class ResourceModel {
 public:
  // Builds channel groups and the deployed view (throws GraphError for a malformed graph).
  explicit ResourceModel(Graph graph, ResourceOptions options = {});

  const Graph& graph() const { return graph_; }
  const ChannelGroups& groups() const { return groups_; }
  const DeployedGraph& deployed() const { return deployed_; }
  const ResourceOptions& options() const { return options_; }

  // Everything at the original widths / at the given group widths (validated: ResourceError
  // naming the group and value) / at max(1, floor(pi*C)). PMU past the DP state cap: falls back
  // to the definition order (report.peak_memory_exact = false) or, when the options disable the
  // fallback, throws PeakMemoryStateCapError.
  ResourceReport evaluate() const;
  ResourceReport evaluate(const std::vector<int64_t>& widths) const;
  ResourceReport evaluate_multipliers(const std::vector<double>& pi) const;

  // Values at the deployed widths and derivatives of the continuous relaxation at pi.
  ResourceGradients gradients(const std::vector<double>& pi) const;
  // The continuous relaxation itself (for finite-difference checks and smooth objectives).
  RelaxedResources relaxed(const std::vector<double>& pi) const;

  // The deployed tensors as a TensorGraph (sizes in bytes at the given widths; Adds flagged
  // in-place-capable; output = the network output). Ids equal DeployedGraph op ids.
  TensorGraph tensor_graph(const std::vector<int64_t>& widths) const;
  TensorGraph tensor_graph() const { return tensor_graph(groups_.original_widths()); }

 private:
  TensorGraph make_tensor_graph(const std::vector<double>& bytes) const;
  // evaluate() plus the default order's and the naive metric's bottleneck tensors (for gradients).
  ResourceReport evaluate_impl(const std::vector<int64_t>& widths, std::vector<int>* default_bottleneck,
                               std::vector<int>* naive_bottleneck) const;

  Graph graph_;
  ResourceOptions options_;
  ChannelGroups groups_;
  DeployedGraph deployed_;
};

}  // namespace tinyprune
