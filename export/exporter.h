// The exporter: GraphModule + calibration data -> int8 `.fwcs` blob (+ C header) for the runtime.
//
// Pipeline (one pass, nothing rediscovered: the ResourceModel's DeployedGraph is the op graph):
//   1. ResourceModel(graph).evaluate(): deployed ops, exact PMU and its execution order (the
//      definition order when the DP fell back; reported as peak_memory_exact = false);
//   2. calibrate (calibration.h) on the calibration batches -> per-tensor ranges;
//   3. quantize_model (quantize.h): BN folding, int8 weights/bias/requantization, filterlet masks;
//   4. plan_memory (memory_plan.h) over the ResourceModel's TensorGraph in that order, verified by
//      check_memory_plan;
//   5. write_blob (blob_writer.h) through tpr_builder, then the runtime validates the blob
//      (tpr_arena_size) before anything is written;
//   6. files: the blob and the optional C header, each written atomically.
//
// Usage:
//   ExportOptions o;  o.out = "/tmp/m.fwcs";
//   ExportResult r = export_model(model, *splits.train, o);
//   ExportResult r2 = export_run("runs/quickstart", ExportOptions{});   // run_dir/model.fwcs + model.h
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/experiment.h"
#include "core/graph_module.h"
#include "core/json.h"
#include "export/blob_writer.h"
#include "export/export_options.h"
#include "export/memory_plan.h"
#include "export/quantized_model.h"

namespace tinyprune {

class Dataset;

struct ExportResult {
  std::string blob_path;            // "" when ExportOptions::out was ""
  std::string header_path;          // "" when no header was written
  std::vector<uint8_t> blob;
  int64_t flash_bytes = 0;          // blob bytes (everything the MCU keeps in flash)
  int64_t tensor_arena_bytes = 0;   // the plan's activation arena (PLAN.arena_size)
  int64_t arena_bytes = 0;          // tpr_arena_size() on the host: tensor arena + kernel scratch +
                                    // prepared op records + 16-byte slack
  int64_t firmware_arena_bytes = 0; // what the header asks firmware to reserve (arena * 1.5 + 4096)
  int64_t peak_memory_bytes = 0;    // the ResourceModel's exact PMU (lower bound of the tensor arena)
  bool peak_memory_exact = true;    // false: the DP fell back to the definition order
  int64_t macs = 0;                 // ResourceModel MACs (dense)
  int64_t executed_macs = 0;        // MACs the runtime executes (FWCS skips dropped filterlets)
  int64_t model_size_bytes = 0;     // ResourceModel's flash estimate (weights + 12 B per channel)
  int64_t calibration_samples = 0;
  int64_t fwcs_layers = 0, dense_layers = 0;
  std::vector<std::string> execution_order;  // op names (input excluded)
  std::vector<LayerStorage> layers;          // execution order
  double seconds = 0;               // wall time of the export (calibration included)
  QuantizedModel quantized;         // what the blob holds (for simulation / tests)
  MemoryPlan plan;

  // {"blob", "header", "flash_bytes", "tensor_arena_bytes", "arena_bytes", "firmware_arena_bytes",
  //  "peak_memory_bytes", "peak_memory_exact", "macs", "executed_macs", "model_size_bytes",
  //  "calibration_samples", "fwcs_layers", "dense_layers", "seconds", "planner",
  //  "execution_order": [names], "layers": [{"name", "op", "storage", "weight_bytes",
  //  "dense_weight_bytes", "quant_bytes", "filterlets", "kept_filterlets", "macs", "executed_macs"}]}
  Json to_json() const;
};

// Exports `model` (its weights are read, not changed; it runs in eval mode during calibration and
// gets its training flag back). Calibration: `options.calibration_batches` batches of
// `calibration_batch_size` unaugmented images of `calibration` (seeded subset). Writes
// `options.out` (and the header when `options.header`) unless `out` is "". `test_images` (optional)
// supplies the first ExportOptions::test_images images embedded in the header.
// Throws ExportError (unsupported structure, builder/runtime rejection), ConfigError (options).
ExportResult export_model(GraphModule& model, const Dataset& calibration, const ExportOptions& options,
                          const Dataset* test_images = nullptr);
// The same with explicit calibration batches ([N, C, H, W] float each).
ExportResult export_model(GraphModule& model, const std::vector<torch::Tensor>& calibration_batches,
                          const ExportOptions& options, const Dataset* test_images = nullptr);

// The `export` section of a run's resolved config (defaults when absent), validated.
ExportOptions export_options_from_config(const ExperimentConfig& config);

// Exports a run directory: loads run_dir/model.pt and run_dir/config.yaml (the resolved config:
// data section and seed), calibrates on its training split, writes run_dir/<out> (default
// model.fwcs; relative paths resolve against run_dir), the header (default run_dir/model.h) and
// run_dir/export.json (ExportResult::to_json()).
ExportResult export_run(const std::string& run_dir, const ExportOptions& options);

}  // namespace tinyprune
