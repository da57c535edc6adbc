#include "core/run.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <thread>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/models/zoo.h"
#include "core/resources/resource_model.h"
#include "core/run_extension.h"
#include "core/train/checkpoint.h"
#include "datasets/dataset.h"
#include "datasets/registry.h"

namespace tinyprune {
namespace fs = std::filesystem;

namespace {

bool holds_run(const fs::path& dir) {
  return fs::exists(dir / "summary.json") || fs::exists(dir / "checkpoints") || fs::exists(dir / "metrics.jsonl");
}

std::string emit_yaml(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

}  // namespace

std::string choose_run_dir(const ExperimentConfig& c, const RunOptions& o) {
  if (!o.out_dir.empty()) return o.out_dir;
  const fs::path base = fs::path(c.output_dir) / c.name;
  if (c.train.resume) {
    // Resume the newest run of this name.
    fs::path newest = base;
    for (int k = 2; fs::exists(fs::path(base.string() + "-" + std::to_string(k))); ++k)
      newest = base.string() + "-" + std::to_string(k);
    return newest.string();
  }
  if (!holds_run(base)) return base.string();
  for (int k = 2;; ++k) {
    fs::path candidate = base.string() + "-" + std::to_string(k);
    if (!holds_run(candidate)) return candidate.string();
  }
}

RunResult run_experiment(const ExperimentConfig& config, const RunOptions& options) {
  auto log = get_logger("train");
  RunResult out;
  const int64_t threads = config.threads > 0 ? config.threads
                                             : static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(static_cast<int>(threads));
  torch::manual_seed(config.seed);

  // Data first: the model's input shape and class count come from it.
  const DataSplits data = DatasetRegistry::global().create(config.data, config.seed);
  const ModelSpec spec = config.model.for_data(data.train->sample_shape(), data.train->num_classes());
  Graph graph = build_model(spec);
  torch::manual_seed(config.seed);
  GraphModule model(graph);
  if (!config.init_from.empty()) {
    // Start from trained weights (e.g. prune a dense run). The architecture must be the same.
    GraphModule loaded = load_model(config.init_from);
    TP_CHECK_T(ConfigError, loaded->graph().to_yaml() == graph.to_yaml(), config.source,
               ": model.init_from: ", config.init_from, " holds a different architecture than the model section (",
               loaded->graph().param_count(), " vs ", graph.param_count(), " parameters)");
    model = loaded;
    log->info("init_from={}", config.init_from);
  }

  out.run_dir = choose_run_dir(config, options);
  fs::create_directories(out.run_dir);
  write_file_atomic(out.run_dir + "/config.yaml", emit_yaml(config.resolved));
  write_file_atomic(out.run_dir + "/graph.yaml", graph.to_yaml());
  const ResourceReport before = ResourceModel(graph).evaluate();
  log->info("run dir={} model={} width={} params={} macs={} data={} train={} val={} test={} threads={}", out.run_dir,
            spec.name, spec.width, before.params, before.macs, config.data.name, data.train->size(),
            data.val ? data.val->size() : 0, data.test->size(), threads);

  TrainerEnv env;
  env.run_dir = out.run_dir;
  env.seed = config.seed;
  env.show_progress = options.show_progress;
  Trainer trainer(model, data, config.train, env);
  auto extensions = make_run_extensions(config);
  for (auto& ext : extensions) ext->before_training(trainer);
  out.train = trainer.fit();
  GraphModule final_model = trainer.model();

  if (out.train.interrupted) return out;
  // Extensions (pruning: compaction + report) may replace the model that model.pt stores.
  Json extra = Json::object();
  for (auto& ext : extensions) final_model = ext->after_training(final_model, out.train, extra, out.run_dir);
  save_model(out.run_dir + "/model.pt", final_model);
  write_file_atomic(out.run_dir + "/graph.yaml", final_model->graph().to_yaml());

  const ResourceReport res = ResourceModel(final_model->graph()).evaluate();
  Json s = Json::object();
  s["name"] = config.name;
  s["seed"] = static_cast<int64_t>(config.seed);
  s["model"] = spec.name;
  s["width"] = spec.width;
  s["dataset"] = config.data.name;
  s["test_accuracy"] = out.train.test.accuracy;
  s["test_loss"] = out.train.test.loss;
  if (data.val) s["val_accuracy"] = out.train.val.accuracy;
  s["params"] = res.params;
  s["macs"] = res.macs;
  s["model_size_bytes"] = res.model_size_bytes;
  s["peak_memory_bytes"] = res.peak_memory_bytes;
  s["steps"] = out.train.steps;
  s["epochs_completed"] = out.train.epochs_completed;
  s["wall_seconds"] = out.train.wall_seconds;
  s["train_seconds"] = out.train.train_seconds;
  s["train_images_per_second"] = out.train.train_images_per_second;
  s["data_wait_fraction"] =
      out.train.train_seconds > 0 ? out.train.data_wait_seconds / (out.train.train_seconds + out.train.data_wait_seconds)
                                  : 0.0;
  s["threads"] = threads;
  s["resumed"] = out.train.resumed;
  for (const auto& kv : extra.items()) s[kv.first] = kv.second;
  write_file_atomic(out.run_dir + "/summary.json", s.dump(2) + "\n");
  out.summary = s;
  log->info("done test_accuracy={:.4f} params={} macs={} wall_seconds={:.1f} img_per_s={:.0f} summary={}/summary.json",
            out.train.test.accuracy, res.params, res.macs, out.train.wall_seconds, out.train.train_images_per_second,
            out.run_dir);
  return out;
}

}  // namespace tinyprune
