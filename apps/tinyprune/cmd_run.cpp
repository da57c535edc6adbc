#include <cstdio>
#include <filesystem>
#include <spdlog/spdlog.h>

#include "core/atomic_file.h"
#include "core/logging.h"
#include "core/train/checkpoint.h"
#include "datasets/dataset.h"
#include "datasets/registry.h"
#include "export/evaluate_blob.h"
#include "export/exporter.h"

#include "apps/tinyprune/args.h"
#include "apps/tinyprune/commands.h"
#include "core/config_node.h"
#include "core/experiment.h"
#include "core/run.h"
#include "core/train/interrupt.h"

namespace tinyprune::cli {

namespace {

// The `export:` section: blob (+ header) into the run directory, then the host runtime's accuracy
// on the test split; summary.json gains an "export" section.
void export_and_evaluate(const ExperimentConfig& config, RunResult& r) {
  auto log = get_logger("export");
  const ExportResult e = export_run(r.run_dir, export_options_from_config(config));
  const DataSplits data = DatasetRegistry::global().create(config.data, config.seed);
  GraphModule model = load_model(r.run_dir + "/model.pt");
  const BlobEvalResult ev = evaluate_blob(e.blob, *data.test, {}, &model);
  Json ex = Json::object();
  ex["blob"] = e.blob_path;
  ex["header"] = e.header_path;
  ex["accuracy"] = ev.accuracy;
  ex["fp32_accuracy"] = ev.reference_accuracy;
  ex["agreement"] = ev.agreement;
  ex["flash_bytes"] = e.flash_bytes;
  ex["arena_bytes"] = ev.arena_bytes;
  ex["tensor_arena_bytes"] = e.tensor_arena_bytes;
  ex["peak_memory_bytes"] = e.peak_memory_bytes;
  ex["macs"] = e.macs;
  ex["fwcs_layers"] = e.fwcs_layers;
  ex["dense_layers"] = e.dense_layers;
  r.summary["export"] = ex;
  write_file_atomic(r.run_dir + "/summary.json", r.summary.dump(2) + "\n");
  log->info("export blob={} flash_bytes={} arena_bytes={} int8_accuracy={:.4f} fp32_accuracy={:.4f} agreement={:.4f}",
            e.blob_path, e.flash_bytes, ev.arena_bytes, ev.accuracy, ev.reference_accuracy, ev.agreement);
}

}  // namespace

int run_command(const std::vector<std::string>& argv) {
  Args args(argv, {{"set", true, true}, {"out", true}, {"no-progress", false}});
  if (args.positional().size() != 1) throw UsageError{"expected exactly one CONFIG file"};
  // Parse and validate everything first: a config error exits 2 and writes nothing.
  const ExperimentConfig config = ExperimentConfig::load(args.positional()[0], args.values("set"));
  RunOptions options;
  options.out_dir = args.value("out").value_or("");
  options.show_progress = !args.flag("no-progress");
  install_interrupt_handler();
  RunResult r = run_experiment(config, options);
  if (r.train.interrupted) return kExitInterrupted;
  if (config.export_section && config.export_section.size() > 0) export_and_evaluate(config, r);
  std::printf("%s\n", r.run_dir.c_str());
  return kExitOk;
}

}  // namespace tinyprune::cli
