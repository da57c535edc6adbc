// Portfolio switching benchmark (DNNShifter 5.8) and structural-conversion figures per level.
//
//   bench_portfolio prepare DIR [--model vgg16] [--width 0.5] [--input 3x32x32] [--levels 9]
//                               [--step 3] [--batch 16] [--seed 1] [--filter-sigma 0.25]
//       builds a dense model, sparsifies it for levels l = 0..L-1 to density 0.8^(step*l)
//       (IMP's per-level fraction 0.2, every `step`-th level: ratios 1, 2, 4, 8, ... as DNNShifter's
//       portfolio), converts each level structurally (exact and legacy), measures LibTorch CPU
//       latency of sparse vs converted (1 thread, batch `batch`, median of 7 after 2 warm-ups),
//       writes DIR/portfolio.tpf (converted variants), DIR/variant_<l>.pt (the same, uncompressed,
//       for the reload strategy) and DIR/levels.csv, and prints the per-level table.
//   bench_portfolio measure DIR portfolio|reload|reload_cold|resident [--switches 40]
//       one strategy per process (so peak RSS is its own): switch cyclically through the variants
//         portfolio    Portfolio::switch_to (inflate + load from the in-memory compressed file)
//         reload       load_model(DIR/variant_<l>.pt) (uncompressed file; warm page cache)
//         reload_cold  the same after posix_fadvise(DONTNEED) evicted the file from the page cache
//                      (a storage read; only this benchmark's own files are evicted)
//         resident     every variant loaded up front, a switch is a pointer swap
//       portfolio and reload drop the previous model before loading the next
//       (SwitchOrder::kReleaseThenLoad): both hold one model at a time.
//       and write DIR/result_<mode>.json (switch time, peak RSS over the post-warm-up baseline,
//       model bytes held).
//   bench_portfolio report DIR      side-by-side table with the ratios.
//
// Sparsity is synthetic (the IMP pruner produces the real levels): weights are scored by
// |w| * f_o with a log-normal factor f_o = exp(sigma * N(0, 1)) per filter (seeded, the same for
// every level) and pruned globally over the conv weights (the classifier stays dense, as OpenLTH's
// VGG), so masks are nested across levels and weak filters die first. sigma = 0.25 gives
// structural compressions near DNNShifter's VGG-16 table (algorithms.md 5.9: 1.27x / 1.68x /
// 2.78x / 5.14x at levels 16 / 19 / 22 / 25); larger sigma kills whole filters much earlier. The
// model is untrained (random weights): accuracy is not measured here. BN statistics and biases are
// randomised so constant channels are non-zero (exact and legacy differ).
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json.h"
#include "core/logging.h"
#include "core/models/zoo.h"
#include "core/train/checkpoint.h"
#include "export/portfolio.h"
#include "pruners/compaction.h"
#include "pruners/mask_set.h"
#include "pruners/structural.h"

namespace tp = tinyprune;

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

int64_t status_bytes(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::stoll(line.substr(std::string(key).size())) * 1024;
  return 0;
}

std::map<std::string, std::string> options(int argc, char** argv, int first) {
  std::map<std::string, std::string> o;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) throw tp::Error("bad argument \"" + a + "\"");
    o[a.substr(2)] = argv[++i];
  }
  return o;
}

std::string get(const std::map<std::string, std::string>& o, const std::string& k, const std::string& fallback) {
  auto it = o.find(k);
  return it == o.end() ? fallback : it->second;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

double latency_ms(tp::GraphModule& m, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  m->eval();
  for (int i = 0; i < 2; ++i) m->forward(x);
  std::vector<double> t;
  for (int i = 0; i < 7; ++i) {
    const auto t0 = Clock::now();
    m->forward(x);
    t.push_back(ms_since(t0));
  }
  return median(t);
}

void randomize(tp::GraphModule& m) {
  torch::NoGradGuard no_grad;
  const tp::Graph& g = m->graph();
  for (int id = 0; id < g.size(); ++id) {
    const tp::Node& n = g.node(id);
    if (n.kind == tp::OpKind::kBatchNorm) {
      auto& bn = m->batch_norm(id);
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.normal_(0.0, 0.1);
      bn->running_mean.normal_(0.0, 0.1);
      bn->running_var.uniform_(0.5, 1.5);
    } else if (n.kind == tp::OpKind::kConv2d && n.bias) {
      m->conv(id)->bias.normal_(0.0, 0.05);
    }
  }
}

tp::GraphModule clone(tp::GraphModule& m) {
  return tp::load_model_bytes(tp::save_model_bytes(m), "clone");
}

// Global pruning of the conv weights by |w| * filter factor down to `density`.
void sparsify(tp::GraphModule& m, double density, const std::vector<torch::Tensor>& factors) {
  torch::NoGradGuard no_grad;
  const tp::Graph& g = m->graph();
  std::vector<int> convs;
  std::vector<torch::Tensor> scores;
  size_t k = 0;
  for (int id = 0; id < g.size(); ++id) {
    if (g.node(id).kind != tp::OpKind::kConv2d) continue;
    convs.push_back(id);
    scores.push_back((m->weight(id).abs() * factors[k++].view({-1, 1, 1, 1})).flatten());
  }
  const torch::Tensor all = torch::cat(scores);
  const int64_t keep = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(density * all.numel())));
  if (keep >= all.numel()) return;
  const double thr = std::get<0>(all.kthvalue(all.numel() - keep + 1)).item<double>();
  k = 0;
  for (int id : convs) {
    const torch::Tensor s = m->weight(id).abs() * factors[k++].view({-1, 1, 1, 1});
    m->weight(id).mul_(s.ge(thr).to(torch::kFloat));
  }
}

int prepare(const std::string& dir, const std::map<std::string, std::string>& o) {
  tp::ModelSpec spec;
  spec.name = get(o, "model", "vgg16");
  spec.width = std::stod(get(o, "width", "0.5"));
  int64_t c = 3, h = 32, w = 32;
  if (std::sscanf(get(o, "input", "3x32x32").c_str(), "%ldx%ldx%ld", &c, &h, &w) != 3)
    throw tp::Error("--input expects CxHxW");
  spec.in_channels = c;
  spec.height = h;
  spec.width_px = w;
  const int levels = std::stoi(get(o, "levels", "9"));
  const int step = std::stoi(get(o, "step", "3"));
  const int64_t batch = std::stoll(get(o, "batch", "16"));
  const double sigma = std::stod(get(o, "filter-sigma", "0.25"));
  torch::manual_seed(std::stoull(get(o, "seed", "1")));
  torch::set_num_threads(1);
  std::filesystem::create_directories(dir);

  tp::GraphModule dense(tp::build_model(spec));
  randomize(dense);
  dense->eval();
  std::vector<torch::Tensor> factors;
  for (int id = 0; id < dense->graph().size(); ++id)
    if (dense->graph().node(id).kind == tp::OpKind::kConv2d)
      factors.push_back(torch::exp(sigma * torch::randn({dense->graph().node(id).out_channels})));
  const torch::Tensor x = torch::randn({batch, c, h, w});
  const torch::Tensor calib = torch::randn({8, c, h, w});

  tp::PortfolioWriter writer;
  std::string csv =
      "level,density,sparsity,params_sparse,params_converted,compression,nonzero_weights,latency_sparse_ms,"
      "latency_converted_ms,speedup,conversion_s,exact_max_abs_diff,legacy_max_abs_diff,channels_removed,rounds\n";
  std::printf("%-5s %8s %8s %10s %10s %7s %10s %10s %10s %7s %7s %10s %10s\n", "level", "density", "sparsity",
              "params", "converted", "ratio", "nonzero", "lat_sp_ms", "lat_cv_ms", "speedup", "conv_s", "exact_diff",
              "legacy_diff");
  for (int l = 0; l < levels; ++l) {
    const int imp_level = l * step;
    const double density = std::pow(0.8, imp_level);
    tp::GraphModule sparse = clone(dense);
    sparse->eval();
    sparsify(sparse, density, factors);
    const double sparsity = tp::measure_sparsity(sparse).sparsity();
    tp::StructuralOptions exact_opt, legacy_opt;
    legacy_opt.mode = tp::StructuralMode::kLegacy;
    tp::StructuralResult r = tp::structural_convert(sparse, exact_opt, calib);
    const tp::StructuralResult legacy = tp::structural_convert(sparse, legacy_opt, calib);
    const double lat_sparse = latency_ms(sparse, x);
    const double lat_conv = latency_ms(r.model, x);
    tp::VariantInfo info;
    info.name = "level_" + std::to_string(imp_level);
    info.level = imp_level;
    info.sparsity = sparsity;
    info.latency_ms = lat_conv;
    writer.add(r.model, info);
    tp::save_model(dir + "/variant_" + std::to_string(l) + ".pt", r.model);
    std::printf("%-5d %8.4f %8.4f %10lld %10lld %7.3f %10lld %10.2f %10.2f %7.3f %7.3f %10.3g %10.3g\n", imp_level,
                density, sparsity, static_cast<long long>(r.params_before), static_cast<long long>(r.params_after),
                r.compression(), static_cast<long long>(r.nonzero_weights_after), lat_sparse, lat_conv,
                lat_sparse / lat_conv, r.seconds, r.max_abs_diff, legacy.max_abs_diff);
    std::fflush(stdout);
    char line[512];
    std::snprintf(line, sizeof line, "%d,%.6f,%.6f,%lld,%lld,%.4f,%lld,%.4f,%.4f,%.4f,%.4f,%.6g,%.6g,%lld,%d\n",
                  imp_level, density, sparsity, static_cast<long long>(r.params_before),
                  static_cast<long long>(r.params_after), r.compression(),
                  static_cast<long long>(r.nonzero_weights_after), lat_sparse, lat_conv, lat_sparse / lat_conv,
                  r.seconds, r.max_abs_diff, legacy.max_abs_diff, static_cast<long long>(r.channels_removed),
                  r.rounds);
    csv += line;
  }
  writer.write(dir + "/portfolio.tpf");
  tp::write_file_atomic(dir + "/levels.csv", csv);
  int64_t packed = 0, unpacked = 0;
  for (const auto& v : writer.variants()) {
    packed += v.compressed_bytes;
    unpacked += v.uncompressed_bytes;
  }
  std::printf("\nportfolio: %d variants, %.1f KiB compressed, %.1f KiB uncompressed (%.2fx); %s/portfolio.tpf\n",
              levels, packed / 1024.0, unpacked / 1024.0, static_cast<double>(unpacked) / packed, dir.c_str());
  return 0;
}

// Loads and drops a small model once, so LibTorch's deserialization code is paged in before the
// baseline RSS is taken (otherwise the first strategy pays for it).
void warm_up() {
  tp::Graph g;
  int x = g.input(1, 4, 4);
  g.linear(g.flatten(g.conv2d(x, 2, 3, 1, 1)), 2);
  tp::GraphModule m(g);
  tp::GraphModule back = tp::load_model_bytes(tp::save_model_bytes(m), "warm-up");
  torch::NoGradGuard no_grad;
  back->forward(torch::zeros({1, 1, 4, 4}));
}

// Evicts `path` from the page cache (clean pages of a file we wrote; needs no privileges).
void evict(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

int measure(const std::string& dir, const std::string& mode, const std::map<std::string, std::string>& o) {
  const int switches = std::stoi(get(o, "switches", "40"));
  torch::set_num_threads(1);
  warm_up();
  const int64_t baseline = status_bytes("VmRSS:");
  std::vector<std::string> files;
  for (int l = 0;; ++l) {
    const std::string f = dir + "/variant_" + std::to_string(l) + ".pt";
    if (!std::filesystem::exists(f)) break;
    files.push_back(f);
  }
  TP_CHECK(!files.empty(), dir, ": no variants; run `prepare` first");
  const size_t n = files.size();
  std::vector<int64_t> sizes;
  for (const auto& f : files) sizes.push_back(static_cast<int64_t>(std::filesystem::file_size(f)));
  const int64_t largest = *std::max_element(sizes.begin(), sizes.end());
  int64_t total = 0;
  for (int64_t s : sizes) total += s;

  std::vector<double> times;
  double setup_ms = 0.0;
  double inflate_ms = 0.0, load_ms = 0.0;  // portfolio: mean split of a switch
  int64_t model_bytes = 0;  // model data the strategy holds in memory (largest variant active)
  tp::GraphModule active{nullptr};
  if (mode == "portfolio") {
    const auto t0 = Clock::now();
    tp::Portfolio p = tp::Portfolio::open(dir + "/portfolio.tpf");
    p.switch_to(0);
    setup_ms = ms_since(t0);
    for (int k = 1; k <= switches; ++k) {
      const tp::SwitchStats st = p.switch_to(static_cast<size_t>(k) % n, tp::SwitchOrder::kReleaseThenLoad);
      times.push_back(st.seconds * 1e3);
      inflate_ms += st.inflate_seconds * 1e3 / switches;
      load_ms += st.load_seconds * 1e3 / switches;
    }
    active = p.active();
    model_bytes = p.resident_bytes() + largest;
  } else if (mode == "reload" || mode == "reload_cold") {
    const bool cold = mode == "reload_cold";
    const auto t0 = Clock::now();
    active = tp::load_model(files[0]);
    setup_ms = ms_since(t0);
    for (int k = 1; k <= switches; ++k) {
      const std::string& f = files[static_cast<size_t>(k) % n];
      if (cold) evict(f);
      const auto t = Clock::now();
      active = tp::GraphModule(nullptr);  // release first, as the portfolio does
      active = tp::load_model(f);
      active->eval();
      times.push_back(ms_since(t));
    }
    model_bytes = largest;
  } else if (mode == "resident") {
    const auto t0 = Clock::now();
    std::vector<tp::GraphModule> all;
    for (const auto& f : files) {
      all.push_back(tp::load_model(f));
      all.back()->eval();
    }
    setup_ms = ms_since(t0);
    for (int k = 1; k <= switches; ++k) {
      const auto t = Clock::now();
      active = all[static_cast<size_t>(k) % n];
      times.push_back(ms_since(t));
    }
    model_bytes = total;
  } else {
    throw tp::Error("unknown mode \"" + mode + "\"; known: portfolio, reload, reload_cold, resident");
  }
  {
    torch::NoGradGuard no_grad;
    const tp::TensorShape in = active->graph().node(0).shape;
    active->forward(torch::zeros({1, in.c, in.h, in.w}));  // the switched-to model works
  }
  const int64_t peak = status_bytes("VmHWM:");
  // GraphModule's constructor initialises every weight (Kaiming) before a load overwrites them:
  // that share of a switch is the same for every strategy that deserializes.
  std::vector<double> construct;
  const tp::Graph largest_graph = tp::load_model(files[0])->graph();  // variant 0: the largest
  for (int i = 0; i < 3; ++i) {
    const auto t = Clock::now();
    tp::GraphModule fresh(largest_graph);
    construct.push_back(ms_since(t));
  }
  double mean = 0.0;
  for (double t : times) mean += t;
  mean /= static_cast<double>(times.size());
  tp::Json j = tp::Json::object();
  j["mode"] = mode;
  j["variants"] = static_cast<int64_t>(n);
  j["switches"] = static_cast<int64_t>(times.size());
  j["switch_ms_mean"] = mean;
  j["switch_ms_median"] = median(times);
  j["setup_ms"] = setup_ms;
  if (mode == "portfolio") {
    j["inflate_ms_mean"] = inflate_ms;
    j["load_ms_mean"] = load_ms;
  }
  j["construct_ms"] = median(construct);
  j["baseline_rss_bytes"] = baseline;
  j["peak_rss_bytes"] = peak;
  j["peak_rss_increase_bytes"] = peak - baseline;
  j["model_bytes_held"] = model_bytes;
  tp::write_file_atomic(dir + "/result_" + mode + ".json", j.dump(2) + "\n");
  std::printf("%-11s switch %.3f ms (median %.3f%s), setup %.1f ms, peak RSS +%.1f MiB over %.1f MiB baseline, "
              "model bytes held %.1f KiB\n",
              mode.c_str(), mean, median(times),
              mode == "portfolio" ? (", inflate " + std::to_string(inflate_ms) + " + load " + std::to_string(load_ms)).c_str()
                                  : "",
              setup_ms, (peak - baseline) / 1048576.0, baseline / 1048576.0, model_bytes / 1024.0);
  return 0;
}

int report(const std::string& dir) {
  const std::vector<std::string> modes = {"portfolio", "reload", "reload_cold", "resident"};
  std::map<std::string, YAML::Node> r;
  for (const std::string& mode : modes) {
    const std::string f = dir + "/result_" + mode + ".json";
    TP_CHECK(std::filesystem::exists(f), f, ": missing; run `measure DIR ", mode, "` first");
    r[mode] = YAML::LoadFile(f);
  }
  auto v = [&](const std::string& mode, const char* key) { return r[mode][key].as<double>(); };
  auto row = [&](const char* label, const char* key, double scale, const char* fmt) {
    std::printf("%-26s", label);
    for (const std::string& m : modes) std::printf(fmt, v(m, key) * scale);
    std::printf("\n");
  };
  std::printf("\n%-26s %13s %13s %13s %13s\n", "", "portfolio", "reload(warm)", "reload(cold)", "all resident");
  row("switch time mean (ms)", "switch_ms_mean", 1.0, " %13.4f");
  row("switch time median (ms)", "switch_ms_median", 1.0, " %13.4f");
  row("setup (ms)", "setup_ms", 1.0, " %13.1f");
  row("GraphModule init, v0 (ms)", "construct_ms", 1.0, " %13.2f");
  row("peak RSS increase (MiB)", "peak_rss_increase_bytes", 1.0 / 1048576.0, " %13.1f");
  row("model bytes held (KiB)", "model_bytes_held", 1.0 / 1024.0, " %13.1f");
  std::printf("portfolio switch = inflate %.2f ms + load %.2f ms (mean)\n", v("portfolio", "inflate_ms_mean"),
              v("portfolio", "load_ms_mean"));
  std::printf("\nratios (DNNShifter reports 11.9x lower switching overhead, 3.8x lower memory):\n");
  std::printf("  switch time   reload(warm) / portfolio   = %.2fx\n",
              v("reload", "switch_ms_mean") / v("portfolio", "switch_ms_mean"));
  std::printf("  switch time   reload(cold) / portfolio   = %.2fx\n",
              v("reload_cold", "switch_ms_mean") / v("portfolio", "switch_ms_mean"));
  std::printf("  peak RSS      all resident / portfolio   = %.2fx (increase over the baseline)\n",
              v("resident", "peak_rss_increase_bytes") / v("portfolio", "peak_rss_increase_bytes"));
  std::printf("  model bytes   all resident / portfolio   = %.2fx\n",
              v("resident", "model_bytes_held") / v("portfolio", "model_bytes_held"));
  // Derived, not measured: the sparse (unconverted) levels all have the dense model's size.
  const double sparse_resident = v("resident", "variants") * v("reload", "model_bytes_held");
  std::printf("  model bytes   all sparse levels resident (%.0f x variant 0, derived) / portfolio = %.2fx\n",
              v("resident", "variants"), sparse_resident / v("portfolio", "model_bytes_held"));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 3) {
      std::fprintf(stderr,
                   "usage: bench_portfolio prepare DIR [--model M] [--width W] [--input CxHxW] [--levels L] [--step S] "
                   "[--batch B] [--seed N] [--filter-sigma S]\n"
                   "       bench_portfolio measure DIR portfolio|reload|reload_cold|resident [--switches N]\n"
                   "       bench_portfolio report DIR\n");
      return 2;
    }
    tp::set_log_level("warn");
    const std::string cmd = argv[1], dir = argv[2];
    if (cmd == "prepare") return prepare(dir, options(argc, argv, 3));
    if (cmd == "measure") {
      if (argc < 4) throw tp::Error("measure needs a mode");
      return measure(dir, argv[3], options(argc, argv, 4));
    }
    if (cmd == "report") return report(dir);
    throw tp::Error("unknown command \"" + cmd + "\"");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_portfolio: %s\n", e.what());
    return 1;
  }
}
