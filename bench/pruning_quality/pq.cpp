// bench_pq: one pruning-quality data point.
//
//   bench_pq run CONFIG [--set key=value ...] [--out DIR]   train/prune (run_experiment), then bytes
//   bench_pq bytes RUN_DIR                                    bytes of RUN_DIR/model.pt only
//
// Prints one CSV line (header with --header):
//   run_dir,test_accuracy,weights,nonzero,dense_bytes,fwcs_bytes,csr_bytes,wall_seconds
// Bytes of the (compacted) model's weight records, bias and quantization parameters included
// (9 bytes per output channel: int32 bias, int32 multiplier, int8 shift, as the exporter stores):
//   dense  every conv/FC dense (what l1_filter's compacted model takes);
//   fwcs   each conv FWCS iff smaller (kept filterlet = any non-zero weight), exactly the
//          exporter's choice and bytes (schedulers/deployed_cost.h);
//   csr    each conv/FC as element-wise CSR iff smaller than dense: per non-zero weight 1 byte
//          value + 2 byte (u16) column index, u32 row pointers (Cout+1) -- the unstructured
//          format of bench/kernels/csr_conv.h.
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/experiment.h"
#include "core/run.h"
#include "core/train/checkpoint.h"
#include "export/export_options.h"
#include "pruners/filterlet_pruner.h"
#include "pruners/registry.h"
#include "schedulers/deployed_cost.h"

using namespace tinyprune;

namespace {

struct Bytes {
  int64_t weights = 0, nonzero = 0, dense = 0, fwcs = 0, csr = 0;
};

Bytes model_bytes(GraphModule& m) {
  torch::NoGradGuard no_grad;
  const Graph& g = m->graph();
  const ResourceModel rm(g);
  std::map<int, int64_t> kept;
  Bytes b;
  for (const DeployedOp& op : rm.deployed().ops()) {
    const Node& n = g.node(op.primary);
    if (n.kind != OpKind::kConv2d && n.kind != OpKind::kLinear) continue;
    const torch::Tensor w = m->weight(op.primary);
    const int64_t cout = w.size(0), numel = w.numel(), nnz = w.ne(0).sum().item<int64_t>();
    b.weights += numel;
    b.nonzero += nnz;
    if (n.kind == OpKind::kConv2d && n.groups == 1) kept[op.primary] = w.ne(0).any(1).sum().item<int64_t>();
    const int64_t quant = 9 * cout;
    const int64_t csr = nnz * 3 + 4 * (cout + 1);
    b.dense += numel + quant;
    b.csr += std::min(numel, csr) + quant;
  }
  const KernelCostModel k = KernelCostModel::m55_mve();
  b.fwcs = deployed_cost(rm, rm.groups().original_widths(), kept, k).flash_bytes;
  return b;
}

std::string csv(const std::string& dir, double acc, const Bytes& b, double secs) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%s,%.4f,%lld,%lld,%lld,%lld,%lld,%.1f", dir.c_str(), acc, (long long)b.weights,
                (long long)b.nonzero, (long long)b.dense, (long long)b.fwcs, (long long)b.csr, secs);
  return buf;
}

double summary_number(const std::string& dir, const char* key) {
  const YAML::Node s = YAML::LoadFile(dir + "/summary.json");
  return s[key] ? s[key].as<double>() : -1.0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    register_section_validator("export", [](ConfigNode& n) { ExportOptions::from_yaml(n); });
    register_builtin_pruners();
    register_filterlet_pruner(PrunerRegistry::global());
    install_pruning();
    bool header = false;
    std::vector<std::string> rest;
    for (const auto& a : args)
      if (a == "--header") header = true;
      else rest.push_back(a);
    if (header) std::cout << "run_dir,test_accuracy,weights,nonzero,dense_bytes,fwcs_bytes,csr_bytes,wall_seconds\n";
    if (rest.size() == 2 && rest[0] == "bytes") {
      GraphModule m = load_model(rest[1] + "/model.pt");
      std::cout << csv(rest[1], summary_number(rest[1], "test_accuracy"), model_bytes(m),
                       summary_number(rest[1], "wall_seconds"))
                << "\n";
      return 0;
    }
    if (rest.size() >= 2 && rest[0] == "run") {
      std::vector<std::string> sets;
      RunOptions ro;
      ro.show_progress = false;
      for (size_t i = 2; i < rest.size(); ++i) {
        if (rest[i] == "--set" && i + 1 < rest.size()) sets.push_back(rest[++i]);
        else if (rest[i] == "--out" && i + 1 < rest.size()) ro.out_dir = rest[++i];
        else throw ConfigError("bench_pq: unexpected argument " + rest[i]);
      }
      const ExperimentConfig c = ExperimentConfig::load(rest[1], sets);
      const RunResult r = run_experiment(c, ro);
      GraphModule m = load_model(r.run_dir + "/model.pt");
      std::cout << csv(r.run_dir, r.train.test.accuracy, model_bytes(m), r.train.wall_seconds) << std::endl;
      return 0;
    }
    std::cerr << "usage: bench_pq run CONFIG [--set k=v ...] [--out DIR] | bench_pq bytes RUN_DIR  [--header]\n";
    return 2;
  } catch (const ConfigError& e) {
    std::cerr << "bench_pq: config error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "bench_pq: " << e.what() << "\n";
    return 1;
  }
}
