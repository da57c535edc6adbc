// The "prune" run extension: attaches the configured pruner to the trainer, then compacts the
// pruned model, checks the compaction, and reports sparsity, resources and accuracy before/after.
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <sstream>

#include "core/experiment.h"
#include "core/logging.h"
#include "core/run_extension.h"
#include "core/train/evaluate.h"
#include "core/train/trainer.h"
#include "datasets/dataset.h"
#include "export/portfolio.h"
#include "pruners/compaction.h"
#include "pruners/registry.h"

namespace tinyprune {
namespace {

Json resources_json(const ResourceReport& r) {
  Json j = Json::object();
  j["params"] = r.params;
  j["macs"] = r.macs;
  j["model_size_bytes"] = r.model_size_bytes;
  j["peak_memory_bytes"] = r.peak_memory_bytes;
  return j;
}

// Largest |masked - compacted| logit difference on the first test batch (eval mode).
double compaction_difference(GraphModule& masked, GraphModule& compacted, const Dataset& test) {
  torch::NoGradGuard no_grad;
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < std::min<int64_t>(test.size(), 64); ++i) idx.push_back(i);
  const Batch b = test.get_unaugmented_batch(idx);
  const bool a_train = masked->is_training(), b_train = compacted->is_training();
  masked->eval();
  compacted->eval();
  const double d = (masked->forward(b.images) - compacted->forward(b.images)).abs().max().item<double>();
  masked->train(a_train);
  compacted->train(b_train);
  return d;
}

std::string layer_table(const Graph& before, GraphModule& after) {
  const SparsityReport sp = measure_sparsity(after);
  std::ostringstream out;
  out << fmt::format("{:<24} {:>16} {:>10} {:>9}\n", "layer", "channels", "weights", "sparsity");
  size_t k = 0;
  for (int id = 0; id < before.size(); ++id) {
    const Node& n = before.node(id);
    if (n.kind != OpKind::kConv2d && n.kind != OpKind::kLinear) continue;
    const LayerSparsity& l = sp.layers.at(k++);
    out << fmt::format("{:<24} {:>16} {:>10} {:>8.1f}%\n", n.name,
                       fmt::format("{} -> {}", n.out_channels, after->graph().node(id).out_channels), l.weights,
                       100.0 * l.sparsity());
  }
  out << fmt::format("{:<24} {:>16} {:>10} {:>8.1f}%", "total", "", sp.weights, 100.0 * sp.sparsity());
  return out.str();
}

class PruneRunExtension : public RunExtension {
 public:
  PruneRunExtension(const ExperimentConfig& config, std::shared_ptr<Pruner> pruner)
      : eval_batch_size_(config.train.eval_batch_size), workers_(config.train.workers), pruner_(std::move(pruner)) {}

  void before_training(Trainer& trainer) override {
    trainer_ = &trainer;
    before_graph_ = trainer.model()->graph();
    before_ = ResourceModel(before_graph_).evaluate();
    trainer.add_callback(pruner_);
  }

  GraphModule after_training(GraphModule model, const TrainResult& result, Json& summary,
                             const std::string& run_dir) override {
    auto log = get_logger("prune");
    if (!pruner_->started()) {
      log->warn("pruner {} never ran (no training steps); the model is unpruned", pruner_->method());
      return model;
    }
    const auto& test = trainer_->data().test;
    Json p = Json::object();
    p["method"] = pruner_->method();
    GraphModule out = model;
    if (!pruner_->masks().channel_masks().empty()) {
      CompactionResult c = compact(model, pruner_->masks());
      out = c.model;
      p["compaction_max_abs_diff"] = compaction_difference(model, out, *test);
    }
    const EvalResult after = evaluate(out, test, eval_batch_size_, workers_);
    const ResourceReport res = ResourceModel(out->graph()).evaluate();
    p["target_met"] = pruner_->target_met();
    if (pruner_->accuracy_before()) p["accuracy_before"] = *pruner_->accuracy_before();
    p["accuracy_after"] = after.accuracy;
    p["sparsity"] = measure_sparsity(out).to_json();
    p["resources_before"] = resources_json(before_);
    p["resources_after"] = resources_json(res);
    const Json own = pruner_->summary();  // a named copy: items() refers into it
    for (const auto& kv : own.items()) p[kv.first] = kv.second;
    write_portfolio(run_dir, p);
    summary["prune"] = p;
    log->info("pruned model ({}):\n{}", pruner_->method(), layer_table(before_graph_, out));
    log->info("prune method={} accuracy_before={} accuracy_after={:.4f} params {} -> {} macs {} -> {} "
              "flash {:.1f} -> {:.1f} KiB pmu {:.1f} -> {:.1f} KiB",
              pruner_->method(),
              pruner_->accuracy_before() ? fmt::format("{:.4f}", *pruner_->accuracy_before()) : std::string("n/a"),
              after.accuracy, before_.params, res.params, before_.macs, res.macs, before_.model_size_bytes / 1024.0,
              res.model_size_bytes / 1024.0, before_.peak_memory_bytes / 1024.0, res.peak_memory_bytes / 1024.0);
    if (!pruner_->target_met()) log->warn("pruner {} did not reach its target (see summary.json prune)", pruner_->method());
    (void)result;
    return out;
  }

 private:
  // A method that keeps several models (IMP: one per level) gets them written as one portfolio.
  void write_portfolio(const std::string& run_dir, Json& p) {
    const std::vector<PrunedVariant> variants = pruner_->variants();
    if (variants.empty() || run_dir.empty()) return;
    PortfolioWriter writer;
    for (const PrunedVariant& v : variants) {
      VariantInfo info;
      info.name = "level_" + std::to_string(v.level);
      info.level = v.level;
      if (const Json* a = v.meta.find("test_accuracy"); a && a->type() != Json::Type::kNull) info.accuracy = a->as_double();
      if (const Json* l = v.meta.find("latency_ms"); l && l->type() != Json::Type::kNull) info.latency_ms = l->as_double();
      GraphModule m = v.model;
      writer.add(m, info);
    }
    const std::string path = run_dir + "/" + kPortfolioFileName;
    writer.write(path);
    p["portfolio"] = path;
    p["portfolio_variants"] = static_cast<int64_t>(writer.size());
    get_logger("prune")->info("portfolio path={} variants={}", path, writer.size());
  }

  int64_t eval_batch_size_;
  int64_t workers_;
  std::shared_ptr<Pruner> pruner_;
  Trainer* trainer_ = nullptr;
  Graph before_graph_;
  ResourceReport before_;
};

}  // namespace

void install_pruning(PrunerRegistry& registry) {
  install_prune_section_validator(registry);
  register_run_extension("prune", [&registry](const ExperimentConfig& config) -> std::unique_ptr<RunExtension> {
    if (!config.prune || config.prune.IsNull() || config.prune.size() == 0) return nullptr;
    std::shared_ptr<Pruner> pruner = registry.create(config.prune, config.source);
    return std::make_unique<PruneRunExtension>(config, std::move(pruner));
  });
}

}  // namespace tinyprune
