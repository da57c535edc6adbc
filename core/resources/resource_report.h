// Human- and machine-readable renderings of a ResourceReport (`tinyprune analyze`, run summaries).
//
//   ResourceModel rm(graph);
//   ResourceReport r = rm.evaluate();
//   std::cout << format_resource_table(rm, r);   // aligned per-layer table + totals
//   Json j = resource_json(rm, r);               // one object, see below
#pragma once

#include <string>

#include "core/json.h"
#include "core/resources/resource_model.h"

namespace tinyprune {

// One row per deployed op (name, op, fused nodes, output shape CxHxW, params, MACs, Flash bytes,
// activation bytes, '*' when in the PMU bottleneck), a totals row, then the PMU / size summary
// lines (bytes, with KiB in parentheses). Ends with a newline.
std::string format_resource_table(const ResourceModel& model, const ResourceReport& report);

// {"params", "macs", "model_size_bytes", "model_size_weights_only_bytes", "peak_memory_bytes",
//  "peak_memory_exact", "peak_memory_note", "peak_memory_default_order_bytes",
//  "peak_memory_naive_bytes", "dp_states", "inplace_add", "execution_order": [names],
//  "bottleneck": [names],
//  "layers": [{"name", "op", "fused": [names], "shape": [c, h, w], "group", "params", "macs",
//              "weight_bytes", "flash_bytes", "activation_bytes", "in_bottleneck"}],
//  "groups": [{"id", "name", "channels", "width", "prunable", "fixed_reason", "producers": [names],
//              "members": [names], "consumers": [{"node", "input", "block"}]}]}
// Byte and MAC counts are integers; "group" is the group's name.
Json resource_json(const ResourceModel& model, const ResourceReport& report);

}  // namespace tinyprune
