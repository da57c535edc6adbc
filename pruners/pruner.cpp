#include "pruners/pruner.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/logging.h"
#include "core/train/evaluate.h"
#include "core/train/train_options.h"
#include "datasets/registry.h"
#include "pruners/compaction.h"

namespace tinyprune {

Pruner::Pruner(std::string method) : method_(std::move(method)), log_(get_logger("prune")) {}
Pruner::~Pruner() = default;

MaskSet& Pruner::masks() {
  TP_CHECK(masks_.has_value(), "pruner \"", method_, "\": masks are available from on_train_begin on");
  return *masks_;
}
const MaskSet& Pruner::masks() const {
  TP_CHECK(masks_.has_value(), "pruner \"", method_, "\": masks are available from on_train_begin on");
  return *masks_;
}

const ResourceModel& Pruner::resources() const {
  TP_CHECK(resources_ != nullptr, "pruner \"", method_, "\": resources are available from on_train_begin on");
  return *resources_;
}

ResourceReport Pruner::current_resources() const { return resources().evaluate(masks().kept_widths()); }

spdlog::logger& Pruner::log() const { return *log_; }

void Pruner::rebuild(const Graph& graph) {
  masks_.emplace(graph);
  resources_ = std::make_unique<ResourceModel>(graph);
}

void Pruner::on_train_begin(TrainContext& ctx) {
  rebuild(ctx.model->graph());
  if (stored_) {
    masks_->restore(*stored_);
    stored_.reset();
  }
  masks_->apply(ctx.model);
  train_begin(ctx);
  masks_->apply(ctx.model);
}

void Pruner::on_epoch_begin(TrainContext& ctx) { epoch_begin(ctx); }
void Pruner::on_step_begin(TrainContext& ctx) { step_begin(ctx); }

void Pruner::on_after_backward(TrainContext& ctx) {
  // Before the optimizer reads them: pruned weights get no gradient and so no weight-decay or
  // momentum contribution from this step.
  masks_->mask_gradients(ctx.model);
  after_backward(ctx);
}

void Pruner::on_after_optimizer_step(TrainContext& ctx) {
  // Momentum accumulated before a weight was pruned would move it again: re-zero every step.
  masks_->apply_weights(ctx.model);
  after_step(ctx);
}

void Pruner::on_epoch_end(TrainContext& ctx) {
  epoch_end(ctx);
  if (ctx.record && !masks_->empty()) write_report(*ctx.record, ctx.model);
}

void Pruner::on_train_end(TrainContext& ctx) {
  train_end(ctx);
  masks_->apply(ctx.model);
}

void Pruner::save_state(torch::serialize::OutputArchive& archive) const {
  if (masks_) masks_->save(archive);
  archive.write("commits", torch::tensor(commits_, torch::kInt64));
  if (accuracy_before_) archive.write("accuracy_before", torch::tensor(*accuracy_before_, torch::kFloat64));
  save_extra(archive);
}

void Pruner::load_state(torch::serialize::InputArchive& archive) {
  // The graph is known only at on_train_begin; keep the masks until then.
  stored_ = MaskSet::read(archive);
  // One fresh tensor per key: reading into a defined tensor keeps that tensor's dtype.
  torch::Tensor commits, before;
  if (archive.try_read("commits", commits)) commits_ = commits.item<int64_t>();
  if (archive.try_read("accuracy_before", before)) accuracy_before_ = before.item<double>();
  load_extra(archive);
}

void Pruner::write_report(Json& record, GraphModule& model) const {
  const SparsityReport s = masks_->sparsity(model);
  const ResourceReport r = current_resources();
  record["sparsity"] = s.sparsity();
  record["params"] = r.params;
  record["macs"] = r.macs;
  record["model_size_bytes"] = r.model_size_bytes;
  record["peak_memory_bytes"] = r.peak_memory_bytes;
}

void Pruner::commit(TrainContext& ctx) {
  if (commits_ == 0 && !accuracy_before_ && ctx.data && ctx.data->test) {
    // The unpruned model's accuracy, on the split the run reports at the end.
    const int64_t bs = ctx.options ? ctx.options->eval_batch_size : 512;
    const int64_t workers = ctx.options ? ctx.options->workers : 1;
    const bool was_training = ctx.model->is_training();
    accuracy_before_ = evaluate(ctx.model, ctx.data->test, bs, workers, ctx.comm).accuracy;
    ctx.model->train(was_training);
  }
  ++commits_;
  masks_->apply(ctx.model);
  const SparsityReport s = masks_->sparsity(ctx.model);
  const ResourceReport r = current_resources();
  if (ctx.record) write_report(*ctx.record, ctx.model);
  log_->info("prune method={} step={} sparsity={:.4f} params={} macs={} flash={:.1f}KiB pmu={:.1f}KiB", method_,
             ctx.step, s.sparsity(), r.params, r.macs, r.model_size_bytes / 1024.0, r.peak_memory_bytes / 1024.0);
}

void Pruner::compact_now(TrainContext& ctx) {
  CompactionResult c = compact(ctx.model, *masks_);
  ctx.replace_model(c.model);
  resources_ = std::make_unique<ResourceModel>(c.model->graph());
  masks_.emplace(std::move(c.masks));
  masks_->apply(ctx.model);
  log_->info("prune method={} step={} compacted params={}", method_, ctx.step, ctx.model->graph().param_count());
}

}  // namespace tinyprune
