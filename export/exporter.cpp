#include "export/exporter.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/atomic_file.h"
#include "core/config_node.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/resources/resource_model.h"
#include "core/train/checkpoint.h"
#include "datasets/dataset.h"
#include "datasets/registry.h"
#include "export/c_header.h"
#include "export/calibration.h"
#include "export/fake_quant.h"
#include "export/quantize.h"
#include "export/runtime_model.h"

namespace tinyprune {

namespace fs = std::filesystem;

namespace {

StoragePolicy storage_policy(const std::string& fwcs) {
  if (fwcs == "never") return StoragePolicy::kNever;
  if (fwcs == "always") return StoragePolicy::kAlways;
  return StoragePolicy::kAuto;
}

std::string header_path_for(const ExportOptions& o) {
  if (!o.header_file.empty()) return o.header_file;
  return fs::path(o.out).replace_extension(".h").string();
}

// The first `n` images of `data`, quantized, run through the host runtime.
CHeaderTestData header_test_data(RuntimeModel& rm, const Dataset& data, int64_t n) {
  n = std::min(n, data.size());
  CHeaderTestData t;
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = i;
  const Batch batch = data.get_unaugmented_batch(idx);
  ActivationParams in_q;
  in_q.scale = rm.input().scale;
  in_q.zero_point = rm.input().zero_point;
  t.images = to_nhwc(quantize_tensor(batch.images, in_q)).reshape({n, -1}).contiguous();
  TP_CHECK_T(ExportError, static_cast<size_t>(t.images.size(1)) == rm.input().bytes, "test images have ",
             t.images.size(1), " bytes, the model input ", rm.input().bytes);
  const size_t out_bytes = rm.output().bytes;
  t.outputs = torch::empty({n, static_cast<int64_t>(out_bytes)}, torch::kInt8);
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(rm.input_data(), t.images[i].data_ptr<int8_t>(), rm.input().bytes);
    rm.invoke();
    std::memcpy(t.outputs[i].data_ptr<int8_t>(), rm.output_data(), out_bytes);
    const int8_t* y = rm.output_data();
    t.predicted.push_back(std::max_element(y, y + out_bytes) - y);
    t.labels.push_back(batch.labels[i].item<int64_t>());
  }
  return t;
}

}  // namespace

Json ExportResult::to_json() const {
  Json j = Json::object();
  j["blob"] = blob_path;
  j["header"] = header_path;
  j["flash_bytes"] = flash_bytes;
  j["tensor_arena_bytes"] = tensor_arena_bytes;
  j["arena_bytes"] = arena_bytes;
  j["firmware_arena_bytes"] = firmware_arena_bytes;
  j["peak_memory_bytes"] = peak_memory_bytes;
  j["peak_memory_exact"] = peak_memory_exact;
  j["macs"] = macs;
  j["executed_macs"] = executed_macs;
  j["model_size_bytes"] = model_size_bytes;
  j["calibration_samples"] = calibration_samples;
  j["fwcs_layers"] = fwcs_layers;
  j["dense_layers"] = dense_layers;
  j["seconds"] = seconds;
  j["planner"] = plan.strategy;
  j["execution_order"] = execution_order;
  Json layers_json = Json::array();
  for (const LayerStorage& l : layers) {
    Json x = Json::object();
    x["name"] = l.name;
    x["op"] = l.op;
    x["storage"] = l.storage;
    x["weight_bytes"] = l.weight_bytes;
    x["dense_weight_bytes"] = l.dense_weight_bytes;
    x["quant_bytes"] = l.quant_bytes;
    x["filterlets"] = l.filterlets;
    x["kept_filterlets"] = l.kept_filterlets;
    x["macs"] = l.macs;
    x["executed_macs"] = l.executed_macs;
    layers_json.push_back(x);
  }
  j["layers"] = layers_json;
  return j;
}

ExportResult export_model(GraphModule& model, const Dataset& calibration, const ExportOptions& options,
                          const Dataset* test_images) {
  options.validate();
  return export_model(model,
                      calibration_batches(calibration, options.calibration_batches, options.calibration_batch_size,
                                          options.calibration_seed),
                      options, test_images);
}

ExportResult export_model(GraphModule& model, const std::vector<torch::Tensor>& batches, const ExportOptions& options,
                          const Dataset* test_images) {
  const auto t0 = std::chrono::steady_clock::now();
  options.validate();
  auto log = get_logger("export");
  ExportResult r;

  // 1. The deployed op graph, exact PMU and its execution order.
  ResourceOptions ro;
  ro.inplace_add = options.inplace_add;
  const ResourceModel rm(model->graph(), ro);
  const ResourceReport report = rm.evaluate();
  r.peak_memory_bytes = report.peak_memory_bytes;
  r.peak_memory_exact = report.peak_memory_exact;
  r.macs = report.macs;
  r.model_size_bytes = report.model_size_bytes;
  if (!report.peak_memory_exact)
    log->warn("export: exact PMU unavailable ({}); planning the definition order", report.peak_memory_note);

  // 2-3. Calibration and quantization.
  const ActivationRanges ranges = calibrate(*model, rm.deployed(), batches);
  r.quantized = quantize_model(*model, rm.deployed(), ranges, options.keep_masks);
  r.calibration_samples = ranges.samples;

  // 4. Memory plan over the ResourceModel's tensors, in its order.
  const TensorGraph tg = rm.tensor_graph(report.widths);
  TP_CHECK_T(ExportError, tg.size() == static_cast<int>(r.quantized.tensors.size()), "resource model has ", tg.size(),
             " tensors, the quantized model ", r.quantized.tensors.size());
  for (int t = 0; t < tg.size(); ++t)
    TP_CHECK_T(ExportError, static_cast<int64_t>(tg.bytes(t)) == r.quantized.tensors[static_cast<size_t>(t)].bytes(),
               "tensor \"", tg.name(t), "\": resource model counts ", tg.bytes(t), " bytes, the exporter ",
               r.quantized.tensors[static_cast<size_t>(t)].bytes());
  MemoryPlanOptions po;
  po.alignment = options.arena_alignment;
  po.inplace_add = options.inplace_add;
  r.plan = plan_memory(tg, report.execution_order, po);
  check_memory_plan(tg, r.plan, options.arena_alignment);
  r.tensor_arena_bytes = r.plan.arena_bytes;
  for (int t : report.execution_order) r.execution_order.push_back(tg.name(t));

  // 5. Serialize through the builder; the runtime validates the result.
  BlobBuild built = write_blob(r.quantized, r.plan, storage_policy(options.fwcs));
  r.blob = std::move(built.blob);
  r.layers = std::move(built.layers);
  r.flash_bytes = static_cast<int64_t>(r.blob.size());
  for (const LayerStorage& l : r.layers) {
    r.executed_macs += l.executed_macs;
    if (l.storage == "fwcs") ++r.fwcs_layers;
    if (l.storage == "dense") ++r.dense_layers;
  }
  RuntimeModel runtime(r.blob);
  r.arena_bytes = static_cast<int64_t>(runtime.arena_bytes());
  r.firmware_arena_bytes = firmware_arena_bytes(r.arena_bytes);

  // 6. Files.
  if (!options.out.empty()) {
    r.blob_path = options.out;
    write_file_atomic(r.blob_path, std::string(r.blob.begin(), r.blob.end()));
    if (options.header) {
      CHeaderModelInfo info;
      info.symbol = options.header_symbol;
      info.description = str_cat(fs::path(options.out).filename().string(), ": ", r.flash_bytes, " B flash, ",
                                 r.arena_bytes, " B host arena (", r.tensor_arena_bytes, " B tensors, exact PMU ",
                                 r.peak_memory_bytes, " B), ", r.macs, " MACs");
      info.host_arena_bytes = r.arena_bytes;
      info.tensor_arena_bytes = r.tensor_arena_bytes;
      info.input_dims = runtime.input().dims;
      info.output_dims = runtime.output().dims;
      info.input_scale = runtime.input().scale;
      info.input_zero_point = runtime.input().zero_point;
      info.output_scale = runtime.output().scale;
      info.output_zero_point = runtime.output().zero_point;
      CHeaderTestData test;
      const bool with_test = test_images && options.test_images > 0;
      if (with_test) test = header_test_data(runtime, *test_images, options.test_images);
      r.header_path = header_path_for(options);
      write_file_atomic(r.header_path, c_header(r.blob, info, with_test ? &test : nullptr));
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log->info("export blob={} flash={} arena={} tensor_arena={} pmu={}{} macs={} executed_macs={} fwcs_layers={} "
            "calibration_samples={} seconds={:.2f}",
            r.blob_path.empty() ? "<memory>" : r.blob_path, r.flash_bytes, r.arena_bytes, r.tensor_arena_bytes,
            r.peak_memory_bytes, r.peak_memory_exact ? "" : "(default order)", r.macs, r.executed_macs, r.fwcs_layers,
            r.calibration_samples, r.seconds);
  for (const LayerStorage& l : r.layers)
    log->debug("export layer={} op={} storage={} weight_bytes={} dense_bytes={} kept={}/{}", l.name, l.op,
               l.storage.empty() ? "-" : l.storage, l.weight_bytes, l.dense_weight_bytes, l.kept_filterlets,
               l.filterlets);
  return r;
}

ExportOptions export_options_from_config(const ExperimentConfig& config) {
  if (!config.export_section || (config.export_section.IsMap() && config.export_section.size() == 0))
    return ExportOptions{};
  YAML::Node doc;
  doc["export"] = config.export_section;
  ConfigNode root = ConfigNode::from_yaml(doc, config.source);
  ConfigNode section = root.child("export");
  ExportOptions o = ExportOptions::from_yaml(section);
  root.finish();
  return o;
}

ExportResult export_run(const std::string& run_dir, const ExportOptions& options) {
  const fs::path dir(run_dir);
  TP_CHECK_T(ExportError, fs::is_directory(dir), "run directory \"", run_dir, "\" does not exist");
  for (const char* f : {"model.pt", "config.yaml"})
    TP_CHECK_T(ExportError, fs::exists(dir / f), "run directory \"", run_dir, "\" has no ", f,
               " (export needs a finished run)");
  const ExperimentConfig config = ExperimentConfig::load_run((dir / "config.yaml").string());
  const int64_t threads =
      config.threads > 0 ? config.threads : static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(static_cast<int>(threads));
  GraphModule model = load_model((dir / "model.pt").string());
  const DataSplits data = DatasetRegistry::global().create(config.data, config.seed);
  ExportOptions o = options;
  if (!o.out.empty() && fs::path(o.out).is_relative()) o.out = (dir / o.out).string();
  if (!o.header_file.empty() && fs::path(o.header_file).is_relative()) o.header_file = (dir / o.header_file).string();
  ExportResult r = export_model(model, *data.train, o, data.test.get());
  write_file_atomic((dir / "export.json").string(), r.to_json().dump(2) + "\n");
  return r;
}

}  // namespace tinyprune
