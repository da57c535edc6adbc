// tinyprune eval FILE.fwcs: accuracy of a blob on a data set's test split with the host runtime.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "apps/tinyprune/args.h"
#include "apps/tinyprune/commands.h"
#include "core/atomic_file.h"
#include "core/experiment.h"
#include "core/train/checkpoint.h"
#include "datasets/registry.h"
#include "export/evaluate_blob.h"

namespace tinyprune::cli {

namespace fs = std::filesystem;

namespace {

int64_t parse_count(const std::string& option, const std::string& value, int64_t min) {
  try {
    size_t used = 0;
    const long long v = std::stoll(value, &used);
    if (used == value.size() && v >= min) return v;
  } catch (const std::exception&) {
  }
  throw UsageError{"--" + option + " expects an integer >= " + std::to_string(min) + ", got \"" + value + "\""};
}

}  // namespace

int eval_command(const std::vector<std::string>& argv) {
  Args args(argv, {{"data", true}, {"root", true}, {"json", false}, {"limit", true}, {"threads", true}});
  const auto& pos = args.positional();
  if (pos.empty() || pos.size() > 2) throw UsageError{"expected FILE.fwcs and optionally a CONFIG or RUN_DIR"};
  const std::string blob_path = pos[0];
  if (!fs::is_regular_file(blob_path)) throw UsageError{"\"" + blob_path + "\" is not a file"};
  if (pos.size() == 2 && args.value("data")) throw UsageError{"give either CONFIG/RUN_DIR or --data, not both"};
  if (args.value("root") && !args.value("data")) throw UsageError{"--root needs --data"};

  // Where the data (and optionally the fp32 model) come from.
  std::optional<std::string> run_dir, config_path;
  if (pos.size() == 2) {
    if (fs::is_directory(pos[1]))
      run_dir = pos[1];
    else if (fs::is_regular_file(pos[1]))
      config_path = pos[1];
    else
      throw UsageError{"\"" + pos[1] + "\" is neither a config file nor a run directory"};
  } else if (!args.value("data")) {
    // A blob inside a run directory: use that run.
    const fs::path parent = fs::absolute(blob_path).parent_path();
    if (fs::exists(parent / "config.yaml")) run_dir = parent.string();
    else throw UsageError{"no data: give a CONFIG, a RUN_DIR or --data NAME"};
  }
  if (run_dir) {
    if (!fs::exists(fs::path(*run_dir) / "config.yaml"))
      throw UsageError{"run directory \"" + *run_dir + "\" has no config.yaml"};
    config_path = (fs::path(*run_dir) / "config.yaml").string();
  }
  DataOptions data_options;
  uint64_t seed = 0;
  int64_t threads = 0;
  if (config_path) {
    const ExperimentConfig config = ExperimentConfig::load_run(*config_path);
    data_options = config.data;
    seed = config.seed;
    threads = config.threads;
  } else {
    data_options.name = *args.value("data");
    data_options.root = args.value("root").value_or("");
    if (!DatasetRegistry::global().has(data_options.name)) {
      std::string known;
      for (const auto& n : DatasetRegistry::global().names()) known += (known.empty() ? "" : ", ") + n;
      throw UsageError{"unknown data set \"" + data_options.name + "\"; known: " + known};
    }
  }
  BlobEvalOptions eo;
  if (auto v = args.value("limit")) eo.limit = parse_count("limit", *v, 1);
  if (auto v = args.value("threads")) eo.threads = parse_count("threads", *v, 1);
  const int64_t torch_threads =
      threads > 0 ? threads : static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(static_cast<int>(torch_threads));

  const std::string text = read_file(blob_path);
  const std::vector<uint8_t> blob(text.begin(), text.end());
  const DataSplits data = DatasetRegistry::global().create(data_options, seed);
  std::optional<GraphModule> model;
  if (run_dir && fs::exists(fs::path(*run_dir) / "model.pt")) model = load_model((fs::path(*run_dir) / "model.pt").string());
  const BlobEvalResult r = evaluate_blob(blob, *data.test, eo, model ? &*model : nullptr);

  if (args.flag("json")) {
    Json j = r.to_json();
    j["blob"] = blob_path;
    j["dataset"] = data_options.name;
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("blob          %s\n", blob_path.c_str());
  std::printf("images        %lld (%s test split)\n", static_cast<long long>(r.count), data_options.name.c_str());
  std::printf("accuracy      %.4f (int8, host runtime)\n", r.accuracy);
  if (r.has_reference) {
    std::printf("fp32 accuracy %.4f (LibTorch model.pt)\n", r.reference_accuracy);
    std::printf("agreement     %.4f (runtime top-1 == fp32 top-1)\n", r.agreement);
  }
  std::printf("flash         %lld bytes (%.1f KiB)\n", static_cast<long long>(r.flash_bytes), r.flash_bytes / 1024.0);
  std::printf("arena         %lld bytes host tpr_arena_size (tensor plan %lld)\n", static_cast<long long>(r.arena_bytes),
              static_cast<long long>(r.tensor_arena_bytes));
  std::printf("MACs          %lld per image (executed %lld)\n", static_cast<long long>(r.macs),
              static_cast<long long>(r.executed_macs));
  std::printf("time          %.2f s (%.0f images/s, %lld threads)\n", r.seconds,
              r.seconds > 0 ? static_cast<double>(r.count) / r.seconds : 0.0, static_cast<long long>(r.threads));
  return kExitOk;
}

}  // namespace tinyprune::cli
