// tinyprune portfolio FILE.tpf|RUN_DIR: list the variants of a model portfolio, switch to one.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "apps/tinyprune/args.h"
#include "apps/tinyprune/commands.h"
#include "core/error.h"
#include "core/experiment.h"
#include "datasets/registry.h"
#include "export/exporter.h"
#include "export/portfolio.h"

namespace tinyprune::cli {
namespace {

std::string portfolio_path(const std::string& arg) {
  if (!std::filesystem::is_directory(arg)) {
    if (!std::filesystem::exists(arg)) throw UsageError{"\"" + arg + "\" is neither a portfolio file nor a run directory"};
    return arg;
  }
  const std::string file = (std::filesystem::path(arg) / kPortfolioFileName).string();
  if (!std::filesystem::exists(file))
    throw Error(str_cat(arg, ": the run directory has no ", kPortfolioFileName, " (runs write one with prune.portfolio: true)"));
  return file;
}

size_t parse_index(const std::string& value, size_t count) {
  try {
    size_t used = 0;
    const long long v = std::stoll(value, &used);
    if (used == value.size() && v >= 0 && static_cast<size_t>(v) < count) return static_cast<size_t>(v);
  } catch (const std::exception&) {
  }
  throw UsageError{"--switch expects a variant index in [0, " + std::to_string(count - 1) + "], got \"" + value + "\""};
}

// Resident set size of this process, bytes (Linux; 0 elsewhere).
int64_t rss_bytes(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::stoll(line.substr(std::string(key).size())) * 1024;
  return 0;
}

std::string fmt_or_dash(double v, const char* f) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

void print_table(const Portfolio& p) {
  std::printf("%3s  %-16s %5s %8s %8s %10s %12s %9s %10s %11s %12s %6s\n", "#", "name", "level", "sparsity", "accuracy",
              "params", "MACs", "PMU_KiB", "latency_ms", "compressed", "uncompressed", "ratio");
  int64_t packed = 0, unpacked = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const VariantInfo& v = p.variant(i);
    packed += v.compressed_bytes;
    unpacked += v.uncompressed_bytes;
    std::printf("%3zu  %-16s %5lld %8s %8s %10lld %12lld %9.1f %10s %11lld %12lld %6.2f\n", i, v.name.c_str(),
                static_cast<long long>(v.level), fmt_or_dash(v.sparsity, "%.4f").c_str(),
                fmt_or_dash(v.accuracy, "%.4f").c_str(), static_cast<long long>(v.params),
                static_cast<long long>(v.macs), v.peak_memory_bytes / 1024.0, fmt_or_dash(v.latency_ms, "%.3f").c_str(),
                static_cast<long long>(v.compressed_bytes), static_cast<long long>(v.uncompressed_bytes),
                v.compressed_bytes > 0 ? static_cast<double>(v.uncompressed_bytes) / v.compressed_bytes : 0.0);
  }
  std::printf("\n%zu variants: %lld bytes compressed (%.1f KiB), %lld uncompressed (%.1f KiB)\n", p.size(),
              static_cast<long long>(packed), packed / 1024.0, static_cast<long long>(unpacked), unpacked / 1024.0);
}

// Exports the active variant to .fwcs (+ .h), calibrated on the training split of the run the
// portfolio belongs to (its config.yaml sits next to the portfolio file).
Json export_variant(GraphModule& model, const std::string& portfolio, const std::string& dest, bool print) {
  const std::filesystem::path cfg = std::filesystem::path(portfolio).parent_path() / "config.yaml";
  if (!std::filesystem::exists(cfg))
    throw UsageError{"--export: no config.yaml next to " + portfolio + " (export needs the run's data for calibration)"};
  const ExperimentConfig config = ExperimentConfig::load_run(cfg.string());
  ExportOptions o = export_options_from_config(config);
  o.out = std::filesystem::absolute(dest).string();
  o.header_file = std::filesystem::path(o.out).replace_extension(".h").string();
  const DataSplits data = DatasetRegistry::global().create(config.data, config.seed);
  const ExportResult r = export_model(model, *data.train, o, data.test.get());
  if (print)
    std::printf("exported: %s (%lld flash bytes, arena %lld bytes, %lld MACs executed), header %s\n", r.blob_path.c_str(),
                static_cast<long long>(r.flash_bytes), static_cast<long long>(r.arena_bytes),
                static_cast<long long>(r.executed_macs), r.header_path.c_str());
  return r.to_json();
}

}  // namespace

int portfolio_command(const std::vector<std::string>& argv) {
  Args args(argv, {{"list", false}, {"switch", true}, {"json", false}, {"export", true}});
  if (args.value("export") && !args.value("switch"))
    throw UsageError{"--export FILE.fwcs needs --switch N (the variant to export)"};
  if (args.positional().size() != 1) throw UsageError{"expected exactly one FILE.tpf or RUN_DIR"};
  const std::string path = portfolio_path(args.positional()[0]);

  const auto t0 = std::chrono::steady_clock::now();
  Portfolio p = Portfolio::open(path);
  const double open_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const bool do_switch = args.value("switch").has_value();
  const bool do_list = args.flag("list") || !do_switch;

  Json out = Json::object();
  out["file"] = path;
  out["open_seconds"] = open_seconds;
  out["resident_bytes"] = p.resident_bytes();
  if (do_list) {
    Json list = Json::array();
    for (const VariantInfo& v : p.variants()) list.push_back(v.to_json());
    out["variants"] = list;
    if (!args.flag("json")) print_table(p);
  }
  if (do_switch) {
    const size_t index = parse_index(*args.value("switch"), p.size());
    const SwitchStats s = p.switch_to(index);
    GraphModule model = p.active();
    const TensorShape in = model->graph().node(model->graph().input_id()).shape;
    torch::NoGradGuard no_grad;
    const auto tf = std::chrono::steady_clock::now();
    const torch::Tensor y = model->forward(torch::zeros({1, in.c, in.h, in.w}));
    const double forward_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tf).count();
    const VariantInfo& v = p.variant(index);
    Json j = Json::object();
    j["variant"] = static_cast<int64_t>(index);
    j["name"] = v.name;
    j["inflate_ms"] = s.inflate_seconds * 1e3;
    j["load_ms"] = s.load_seconds * 1e3;
    j["switch_ms"] = s.seconds * 1e3;
    j["first_forward_ms"] = forward_seconds * 1e3;
    j["output_shape"] = std::vector<int64_t>(y.sizes().begin(), y.sizes().end());
    j["uncompressed_bytes"] = v.uncompressed_bytes;
    j["rss_bytes"] = rss_bytes("VmRSS:");
    j["peak_rss_bytes"] = rss_bytes("VmHWM:");
    if (auto dest = args.value("export")) j["export"] = export_variant(model, path, *dest, !args.flag("json"));
    out["switch"] = j;
    if (!args.flag("json")) {
      if (do_list) std::printf("\n");
      std::printf("switched to variant %zu (\"%s\"): inflate %.2f ms + load %.2f ms = %.2f ms; first forward "
                  "[1, %lld, %lld, %lld] %.2f ms\n",
                  index, v.name.c_str(), s.inflate_seconds * 1e3, s.load_seconds * 1e3, s.seconds * 1e3,
                  static_cast<long long>(in.c), static_cast<long long>(in.h), static_cast<long long>(in.w),
                  forward_seconds * 1e3);
      std::printf("resident: compressed portfolio %.1f KiB + active model %.1f KiB; process RSS %.1f MiB (peak %.1f MiB)\n",
                  p.resident_bytes() / 1024.0, v.uncompressed_bytes / 1024.0, rss_bytes("VmRSS:") / 1048576.0,
                  rss_bytes("VmHWM:") / 1048576.0);
    }
  }
  if (args.flag("json")) std::printf("%s\n", out.dump(2).c_str());
  return kExitOk;
}

}  // namespace tinyprune::cli
