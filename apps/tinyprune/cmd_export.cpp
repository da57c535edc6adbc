// tinyprune export RUN_DIR: int8 `.fwcs` blob (+ C header) from a finished run.
#include <cstdio>
#include <filesystem>
#include <string>

#include "apps/tinyprune/args.h"
#include "apps/tinyprune/commands.h"
#include "core/error.h"
#include "core/experiment.h"
#include "export/exporter.h"

namespace tinyprune::cli {

namespace {

int64_t parse_count(const std::string& option, const std::string& value, int64_t min, int64_t max) {
  try {
    size_t used = 0;
    const long long v = std::stoll(value, &used);
    if (used == value.size() && v >= min && v <= max) return v;
  } catch (const std::exception&) {
  }
  throw UsageError{"--" + option + " expects an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                   "], got \"" + value + "\""};
}

void print_result(const ExportResult& r) {
  std::printf("%-28s %-16s %-6s %10s %10s %9s %12s\n", "layer", "op", "store", "w_bytes", "dense", "kept", "MACs");
  for (const LayerStorage& l : r.layers) {
    const std::string kept = l.filterlets ? std::to_string(l.kept_filterlets) + "/" + std::to_string(l.filterlets) : "";
    std::printf("%-28s %-16s %-6s %10lld %10lld %9s %12lld\n", l.name.c_str(), l.op.c_str(),
                l.storage.empty() ? "-" : l.storage.c_str(), static_cast<long long>(l.weight_bytes),
                static_cast<long long>(l.dense_weight_bytes), kept.c_str(), static_cast<long long>(l.executed_macs));
  }
  std::printf("\nblob          %s\n", r.blob_path.c_str());
  if (!r.header_path.empty()) std::printf("header        %s\n", r.header_path.c_str());
  std::printf("flash         %lld bytes (%.1f KiB)\n", static_cast<long long>(r.flash_bytes), r.flash_bytes / 1024.0);
  std::printf("arena         %lld bytes host tpr_arena_size (tensor plan %lld, exact PMU %lld%s)\n",
              static_cast<long long>(r.arena_bytes), static_cast<long long>(r.tensor_arena_bytes),
              static_cast<long long>(r.peak_memory_bytes), r.peak_memory_exact ? "" : ", default order");
  std::printf("MACs          %lld (executed %lld)\n", static_cast<long long>(r.macs),
              static_cast<long long>(r.executed_macs));
  std::printf("layers        %lld FWCS, %lld dense\n", static_cast<long long>(r.fwcs_layers),
              static_cast<long long>(r.dense_layers));
  std::printf("calibration   %lld images, export %.2f s\n", static_cast<long long>(r.calibration_samples), r.seconds);
}

}  // namespace

int export_command(const std::vector<std::string>& argv) {
  Args args(argv, {{"out", true},
                   {"header", true},
                   {"no-header", false},
                   {"calibration-batches", true},
                   {"fwcs", true},
                   {"test-images", true},
                   {"header-symbol", true},
                   {"inplace-add", false},
                   {"json", false}});
  if (args.positional().size() != 1) throw UsageError{"expected exactly one RUN_DIR"};
  const std::string run_dir = args.positional()[0];
  if (!std::filesystem::is_directory(run_dir)) throw UsageError{"\"" + run_dir + "\" is not a run directory"};
  if (args.flag("header") && args.flag("no-header")) throw UsageError{"--header and --no-header exclude each other"};
  ExportOptions o;
  const std::string config = run_dir + "/config.yaml";
  if (std::filesystem::exists(config)) o = export_options_from_config(ExperimentConfig::load_run(config));
  // Paths on the command line are relative to the working directory (YAML ones to the run).
  if (auto v = args.value("out")) o.out = v->empty() ? *v : std::filesystem::absolute(*v).string();
  if (auto v = args.value("header")) {
    if (v->empty()) throw UsageError{"--header needs a file name"};
    o.header = true;
    o.header_file = std::filesystem::absolute(*v).string();
  }
  if (args.flag("no-header")) o.header = false;
  if (auto v = args.value("calibration-batches")) o.calibration_batches = parse_count("calibration-batches", *v, 1, 100000);
  if (auto v = args.value("test-images")) o.test_images = parse_count("test-images", *v, 0, 10000);
  if (auto v = args.value("fwcs")) {
    if (*v != "auto" && *v != "never" && *v != "always")
      throw UsageError{"--fwcs expects auto, never or always, got \"" + *v + "\""};
    o.fwcs = *v;
  }
  if (auto v = args.value("header-symbol")) o.header_symbol = *v;
  if (args.flag("inplace-add")) o.inplace_add = true;
  if (o.out.empty()) throw UsageError{"--out needs a file name"};
  try {
    o.validate();
  } catch (const ConfigError& e) {
    throw UsageError{e.what()};
  }
  const ExportResult r = export_run(run_dir, o);
  if (args.flag("json"))
    std::printf("%s\n", r.to_json().dump(2).c_str());
  else
    print_result(r);
  return kExitOk;
}

}  // namespace tinyprune::cli
