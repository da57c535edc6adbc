// Pruner: the extension point every pruning method implements (built-in and user-written).
//
// A Pruner is a trainer Callback (core/train/callback.h) whose public hooks are final: the base
// class keeps the mask invariant around them and calls the protected virtuals a method overrides:
//
//   trainer hook               base class does                           then calls
//   on_train_begin             builds MaskSet / ChannelGroups / ResourceModel
//                              for the model's graph, restores checkpointed
//                              masks (resume)                             train_begin, then applies
//   on_step_begin                                                        step_begin
//   on_after_backward          masks gradients                            after_backward
//   on_after_optimizer_step    re-applies masks (momentum, weight decay)  after_step
//   on_epoch_begin / _end      epoch_end: sparsity + resources in the record  epoch_begin / epoch_end
//   on_train_end                                                          train_end
//   save_state / load_state    masks + counters                           save_extra / load_extra
// load_state runs before on_train_begin (the graph is not known yet): a method stashes what it
// reads and uses it in train_begin.
//
// A method changes masks through `masks()` and then calls `commit(ctx)`: the first commit
// evaluates the still-unpruned model on the test split ("accuracy before"), every commit applies
// the masks and writes sparsity and resources (at the masks' kept widths) into the metrics record.
// A pruner never edits the graph or writes files: the run compacts the model after training
// (pruners/compaction.h) and stores the result; `compact_now()` switches training to the
// compacted model mid-run (the trainer rebuilds its optimizer).
//
// Several ranks: every rank runs the same hooks on the same (all-reduced) gradients; decisions
// that depend on local data must be broadcast from rank 0 by the method (ctx.comm).
//
// Example (a user's pruner; see examples/custom_pruner for the whole project):
//   class RandomChannelPruner : public Pruner {
//    public:
//     explicit RandomChannelPruner(double ratio) : Pruner("random_channel"), ratio_(ratio) {}
//    protected:
//     void train_begin(TrainContext& ctx) override {
//       for (const ChannelGroup& g : groups().groups())
//         if (g.prunable) masks().set_channel_mask(g.id, random_keep(g.channels, ratio_));
//       commit(ctx);
//     }
//    private:
//     double ratio_;
//   };
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/resources/resource_model.h"
#include "core/train/callback.h"
#include "pruners/mask_set.h"

namespace spdlog {
class logger;
}

namespace tinyprune {

// A model a pruner offers besides the run's final one (e.g. one per IMP level). The run writes a
// method's variants to RUN_DIR/portfolio.tpf (export/portfolio.h), switchable at run time.
struct PrunedVariant {
  int64_t level = 0;          // the method's ordinal for it (IMP: the level); names it "level_<n>"
  GraphModule model{nullptr}; // eval mode, compacted
  Json meta;                  // free-form; the portfolio reads "test_accuracy" and "latency_ms"
                              // (numbers, or absent / null when unknown)
};

class Pruner : public Callback {
 public:
  // `method` is the registry key (prune.method); it also keys the pruner's checkpoint state.
  explicit Pruner(std::string method);
  ~Pruner() override;

  std::string name() const final { return method_; }
  const std::string& method() const { return method_; }

  void on_train_begin(TrainContext& ctx) final;
  void on_epoch_begin(TrainContext& ctx) final;
  void on_step_begin(TrainContext& ctx) final;
  void on_after_backward(TrainContext& ctx) final;
  void on_after_optimizer_step(TrainContext& ctx) final;
  void on_epoch_end(TrainContext& ctx) final;
  void on_train_end(TrainContext& ctx) final;
  void save_state(torch::serialize::OutputArchive& archive) const final;
  void load_state(torch::serialize::InputArchive& archive) final;

  // Valid after on_train_begin.
  MaskSet& masks();
  const MaskSet& masks() const;
  bool started() const { return masks_.has_value(); }

  // Test accuracy of the model just before the first commit (nullopt before it).
  std::optional<double> accuracy_before() const { return accuracy_before_; }
  // Method-specific summary entries (budgets, achieved values, ...); merged into summary.json's
  // "prune" object by the run.
  virtual Json summary() const { return Json::object(); }
  // Whether the method reached what it was asked for (a sparsity, a budget, ...) with the current
  // masks. The run's summary and the contract tests read it. Default: true (no target).
  virtual bool target_met() const { return true; }
  // Models for the run's portfolio, in order (empty: the method offers none, no portfolio file).
  virtual std::vector<PrunedVariant> variants() const { return {}; }

 protected:
  virtual void train_begin(TrainContext&) {}
  virtual void epoch_begin(TrainContext&) {}
  virtual void step_begin(TrainContext&) {}
  virtual void after_backward(TrainContext&) {}
  virtual void after_step(TrainContext&) {}
  virtual void epoch_end(TrainContext&) {}
  virtual void train_end(TrainContext&) {}
  virtual void save_extra(torch::serialize::OutputArchive&) const {}
  virtual void load_extra(torch::serialize::InputArchive&) {}

  // The masks changed: apply them and report (see the class comment).
  void commit(TrainContext& ctx);
  // Replace the training model by its compaction (channel masks removed physically; weight and
  // filterlet masks carried over). Groups, resources and masks then describe the new graph.
  void compact_now(TrainContext& ctx);

  const ChannelGroups& groups() const { return masks().groups(); }
  // Resource model of the current graph (original widths = the graph's widths).
  const ResourceModel& resources() const;
  // Resources at the kept widths of the current channel masks.
  ResourceReport current_resources() const;
  spdlog::logger& log() const;

 private:
  void rebuild(const Graph& graph);
  void write_report(Json& record, GraphModule& model) const;
  std::string method_;
  std::optional<MaskSet> masks_;
  std::unique_ptr<ResourceModel> resources_;
  std::shared_ptr<spdlog::logger> log_;
  std::optional<double> accuracy_before_;
  int64_t commits_ = 0;
  std::optional<StoredMasks> stored_;  // read by load_state, restored at on_train_begin (resume)
};

}  // namespace tinyprune
