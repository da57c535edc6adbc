// Deployed cost of a pruned model, predicted without building it: the flash bytes the exporter
// will store for every weight record, the MACs the runtime will execute and the latency of the
// KernelCostModel, at given channel-group widths (filter pruning) and kept-filterlet counts
// (filterlet pruning). Used by the DTMM scheduler in its inner loop (microseconds per call).
//
// Flash: per deployed op with weights (conv, depthwise, fully connected, standalone BN), the
// bytes the runtime's blob builder stores for its weight record: values + FWCS index arrays
// (row_ptr, positions) + bias + multiplier + shift. The storage choice and every byte count come
// from tpr_builder_weight_stats() (runtime/include/tpr_builder.h), the same function
// tpr_builder_add_conv2d() uses, with the exporter's default policy (`export.fwcs: auto`: FWCS iff
// smaller than dense). So `flash_bytes` == the sum over the exporter's ExportResult::layers of
// weight_bytes + quant_bytes for a model whose pruned filterlets are exactly zero and whose kept
// filterlets are not all zero after int8 rounding (a kept filterlet that rounds to zero is
// dropped by the exporter: the prediction is then an upper bound). Blob headers, op/tensor
// records, alignment padding and the memory plan are not included (ExportResult::flash_bytes is
// the whole file).
//
// Usage:
//   DeployedCost c = deployed_cost(rm, widths, {{conv_node, kept}}, KernelCostModel::m55_mve());
//   c.flash_bytes; c.executed_macs; c.latency;
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/resources/resource_model.h"
#include "schedulers/kernel_cost_model.h"

namespace tinyprune {

struct OpCost {
  int op = 0;                    // DeployedGraph op id
  std::string name;
  std::string storage;           // "dense" | "fwcs" | "" (no weights)
  int64_t weight_bytes = 0;      // values + FWCS index arrays
  int64_t quant_bytes = 0;       // bias (4) + multiplier (4) + shift (1) per output channel
  int64_t filterlets = 0;        // cout*kh*kw (standard conv), 0 otherwise
  int64_t kept_filterlets = 0;   // as stored (all when dense)
  int64_t executed_macs = 0;
  double latency = 0;            // KernelCostModel units (instructions)
};

struct DeployedCost {
  int64_t flash_bytes = 0;       // sum of weight_bytes + quant_bytes
  int64_t executed_macs = 0;
  double latency = 0;
  std::vector<OpCost> ops;       // filled when requested, definition order
};

// `widths`: per channel group (validated by the ResourceModel's groups). `kept_filterlets`: conv
// node id -> filterlets kept in [0, cout'*kh*kw] at those widths; convs absent from the map keep
// all. Throws ResourceError for invalid widths, Error for an out-of-range kept count or a grouped
// (non-depthwise) conv, which the runtime cannot run.
DeployedCost deployed_cost(const ResourceModel& rm, const std::vector<int64_t>& widths,
                           const std::map<int, int64_t>& kept_filterlets, const KernelCostModel& cost,
                           bool per_op = false);

}  // namespace tinyprune
