#include "core/train/trainer.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>

#include "core/dist/communicator.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/train/checkpoint.h"
#include "core/train/interrupt.h"
#include "core/train/lr_schedule.h"
#include "core/train/malloc_tuning.h"
#include "core/train/metrics_log.h"
#include "core/train/optimizer.h"
#include "core/train/progress.h"
#include "datasets/dataset.h"
#include "datasets/loader.h"

namespace tinyprune {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

template <typename Fn>
void each(std::vector<std::shared_ptr<Callback>>& cbs, Fn fn) {
  for (auto& cb : cbs) fn(*cb);
}

}  // namespace

Trainer::Trainer(GraphModule model, DataSplits data, TrainOptions options, TrainerEnv env)
    : model_(std::move(model)), data_(std::move(data)), options_(std::move(options)), env_(std::move(env)) {
  TP_CHECK(data_.train && data_.train->size() > 0, "trainer needs a non-empty training set");
  if (!env_.comm) {
    local_comm_ = std::make_unique<LocalCommunicator>();
    env_.comm = local_comm_.get();
  }
  rebuild_optimizer();
  ctx_.model = model_;
  ctx_.data = &data_;
  ctx_.options = &options_;
  ctx_.comm = env_.comm;
  ctx_.log = get_logger("train");
  ctx_.seed = env_.seed;
  ctx_.replace_model = [this](GraphModule m) {
    model_ = std::move(m);
    model_->set_memory_format(training_memory_format());
    ctx_.model = model_;
    rebuild_optimizer();
  };
  ctx_.restart_at = [this](int64_t step) {
    TP_CHECK(step >= 0 && (ctx_.total_steps == 0 || step < ctx_.total_steps), "restart_at(", step,
             "): expected a step in [0, ", ctx_.total_steps, ")");
    pending_restart_ = step;
  };
}

Trainer::~Trainer() = default;

c10::MemoryFormat Trainer::training_memory_format() const {
  return options_.memory_format == "contiguous" ? c10::MemoryFormat::Contiguous : c10::MemoryFormat::ChannelsLast;
}

void Trainer::add_callback(std::shared_ptr<Callback> cb) { callbacks_.push_back(std::move(cb)); }

void Trainer::rebuild_optimizer() {
  optimizer_ = make_optimizer(model_->parameters(), options_.optimizer);
  ctx_.optimizer = optimizer_.get();
}

std::string Trainer::checkpoint_path() const {
  return env_.run_dir.empty() ? "" : env_.run_dir + "/checkpoints/last.pt";
}

void Trainer::write_checkpoint(int64_t epoch, int64_t step_in_epoch) {
  if (env_.run_dir.empty() || !env_.comm->is_main()) return;
  CheckpointMeta meta{ctx_.step, epoch, step_in_epoch, static_cast<int64_t>(metrics_.size())};
  save_checkpoint(checkpoint_path(), model_, *optimizer_, meta, callbacks_);
}

TrainResult Trainer::fit() {
  auto log = ctx_.log;
  const auto t_start = Clock::now();
  TrainResult result;
  tune_malloc_for_training();  // keeps the step's buffers in the heap (malloc_tuning.h)
  metrics_ = env_.comm->is_main() && !env_.run_dir.empty() ? MetricsLog(env_.run_dir) : MetricsLog();
  MetricsLog& metrics = metrics_;

  LoaderOptions lo;
  lo.batch_size = options_.batch_size;
  lo.shuffle = true;
  lo.drop_last = options_.drop_last;
  lo.workers = options_.workers;
  lo.seed = env_.seed;
  lo.augment = options_.augment;
  DataLoader loader(data_.train, lo);
  const int64_t steps_per_epoch = loader.batches_per_epoch();
  TP_CHECK(steps_per_epoch > 0, "training set of ", data_.train->size(), " examples yields no batch of ",
           options_.batch_size, " (drop_last is on): lower train.batch_size");
  const int64_t total_steps = options_.max_steps > 0 ? options_.max_steps : options_.epochs * steps_per_epoch;
  ctx_.steps_per_epoch = steps_per_epoch;
  ctx_.total_steps = total_steps;

  // --- resume -----------------------------------------------------------------------------------
  int64_t start_epoch = 0, skip_batches = 0;
  const std::string ckpt = checkpoint_path();
  if (options_.resume && !ckpt.empty() && std::filesystem::exists(ckpt)) {
    Graph stored = read_checkpoint_graph(ckpt);
    if (stored.param_count() != model_->graph().param_count() || stored.size() != model_->graph().size())
      ctx_.replace_model(GraphModule(stored));  // the run had compacted its model
    const CheckpointMeta meta = load_checkpoint(ckpt, model_, *optimizer_, callbacks_);
    ctx_.step = meta.step;
    start_epoch = meta.epoch;
    skip_batches = meta.step_in_epoch;
    metrics.resume_at(meta.metrics_records, meta.step);
    result.resumed = true;
    log->info("resume checkpoint={} step={} epoch={} batch={}", ckpt, meta.step, meta.epoch, meta.step_in_epoch);
  } else if (options_.resume) {
    log->warn("resume requested but no checkpoint at {}; starting from scratch", ckpt.empty() ? "<no run dir>" : ckpt);
  }

  model_->set_memory_format(training_memory_format());
  each(callbacks_, [&](Callback& cb) { cb.on_train_begin(ctx_); });

  Progress progress(log, total_steps);
  double window_loss = 0.0, window_correct = 0.0, window_count = 0.0;
  int64_t window_steps = 0;
  auto window_start = Clock::now();
  double train_seconds = 0.0, data_wait = 0.0;
  int64_t images_seen = 0;
  bool stop = ctx_.step >= total_steps;

  for (int64_t epoch = start_epoch; !stop; ++epoch) {
    ctx_.epoch = epoch;
    ctx_.step_in_epoch = epoch == start_epoch ? skip_batches : 0;
    bool restarted = false;
    loader.start_epoch(epoch, ctx_.step_in_epoch);
    each(callbacks_, [&](Callback& cb) { cb.on_epoch_begin(ctx_); });
    double epoch_loss = 0.0, epoch_correct = 0.0, epoch_count = 0.0;

    while (ctx_.step < total_steps) {
      const auto t_wait = Clock::now();
      auto batch = loader.next();
      data_wait += seconds_since(t_wait);
      if (!batch) break;
      const auto t_step = Clock::now();

      ctx_.lr = lr_at_step(options_.schedule, options_.optimizer.lr, ctx_.step, total_steps, steps_per_epoch);
      set_learning_rate(*optimizer_, ctx_.lr);
      ctx_.batch = &*batch;
      Json record = Json::object();
      ctx_.record = &record;
      each(callbacks_, [&](Callback& cb) { cb.on_step_begin(ctx_); });

      model_->train();
      // Gradients are released rather than zeroed (PyTorch's set_to_none): backward then writes
      // fresh tensors instead of memset + accumulate. Every graph parameter receives a gradient,
      // so the optimizer and an allreduce see the same tensors on every rank.
      for (auto& p : model_->parameters()) p.mutable_grad().reset();
      ctx_.logits = model_->forward(batch->images);
      ctx_.loss = torch::nn::functional::cross_entropy(
          ctx_.logits, batch->labels,
          torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(options_.label_smoothing));
      ctx_.loss.backward();
      if (env_.comm->world_size() > 1) {
        std::vector<at::Tensor> grads;
        for (auto& p : model_->parameters())
          if (p.grad().defined()) grads.push_back(p.grad());
        env_.comm->allreduce_mean(grads);
      }
      each(callbacks_, [&](Callback& cb) { cb.on_after_backward(ctx_); });
      optimizer_->step();
      ++ctx_.step;
      ++ctx_.step_in_epoch;
      each(callbacks_, [&](Callback& cb) { cb.on_after_optimizer_step(ctx_); });

      // Statistics (detached; one sync per step is cheap next to the step itself).
      const double loss = ctx_.loss.item<double>();
      const double correct = ctx_.logits.argmax(1).eq(batch->labels).sum().item<double>();
      const double n = static_cast<double>(batch->labels.size(0));
      train_seconds += seconds_since(t_step);
      images_seen += batch->labels.size(0);
      window_loss += loss * n;
      window_correct += correct;
      window_count += n;
      ++window_steps;
      epoch_loss += loss * n;
      epoch_correct += correct;
      epoch_count += n;
      result.final_train_loss = loss;

      const double busy = train_seconds + data_wait;
      const double ips = busy > 0 ? static_cast<double>(images_seen) / busy : 0.0;
      if (env_.show_progress && env_.comm->is_main())
        progress.update(ctx_.step,
                        fmt::format("epoch {} loss {:.4f} acc {:.1f}%", epoch + 1, window_loss / window_count,
                                    100.0 * window_correct / window_count),
                        ips);

      if (ctx_.step % options_.log_every == 0 || ctx_.step == total_steps || !record.items().empty()) {
        Json r = Json::object();
        r["kind"] = "step";
        r["step"] = ctx_.step;
        r["epoch"] = epoch;
        r["lr"] = ctx_.lr;
        r["train_loss"] = window_loss / window_count;
        r["train_accuracy"] = window_correct / window_count;
        r["images_per_second"] = window_count / std::max(1e-9, seconds_since(window_start));
        for (const auto& kv : record.items()) r[kv.first] = kv.second;
        metrics.write(r);
        SPDLOG_LOGGER_DEBUG(log, "step={} loss={:.4f} lr={:.5f}", ctx_.step, window_loss / window_count, ctx_.lr);
        window_loss = window_correct = window_count = 0.0;
        window_steps = 0;
        window_start = Clock::now();
      }
      ctx_.batch = nullptr;
      ctx_.record = nullptr;

      // A requested rewind happens first: it writes its own checkpoint (at the new step), so an
      // interrupt arriving with it is honoured right after, with a consistent state.
      if (pending_restart_ >= 0) {
        restarted = true;
        break;
      }
      if (options_.checkpoint_every > 0 && ctx_.step % options_.checkpoint_every == 0)
        write_checkpoint(epoch, ctx_.step_in_epoch);
      if (interrupt_requested()) {
        progress.finish();
        write_checkpoint(epoch, ctx_.step_in_epoch);
        log->warn("interrupted at step {}; checkpoint written to {} (continue with train.resume=true)", ctx_.step,
                  checkpoint_path());
        result.interrupted = true;
        stop = true;
        break;
      }
      if (ctx_.stop_requested) {
        stop = true;
        break;
      }
    }
    if (result.interrupted) break;
    if (restarted) {
      // Continue at the requested step: same data order and learning rate as a run at that step.
      const int64_t to = pending_restart_;
      pending_restart_ = -1;
      progress.finish();
      log->info("restart at step={} (from step={})", to, ctx_.step);
      ctx_.step = to;
      rebuild_optimizer();
      start_epoch = to / steps_per_epoch;
      skip_batches = to % steps_per_epoch;
      epoch = start_epoch - 1;  // the loop's ++epoch lands on start_epoch
      window_loss = window_correct = window_count = 0.0;
      window_start = Clock::now();
      write_checkpoint(start_epoch, skip_batches);
      if (interrupt_requested()) {
        log->warn("interrupted at the restart to step {}; checkpoint written to {} (continue with train.resume=true)",
                  ctx_.step, checkpoint_path());
        result.interrupted = true;
        break;
      }
      continue;
    }

    // --- epoch end --------------------------------------------------------------------------------
    const bool epoch_complete = ctx_.step_in_epoch >= steps_per_epoch;
    Json record = Json::object();
    ctx_.record = &record;
    record["kind"] = "epoch";
    record["step"] = ctx_.step;
    record["epoch"] = epoch;
    if (epoch_count > 0) {
      record["train_loss"] = epoch_loss / epoch_count;
      record["train_accuracy"] = epoch_correct / epoch_count;
    }
    if (options_.eval_each_epoch && data_.val) {
      progress.finish();
      const EvalResult v = evaluate(model_, data_.val, options_.eval_batch_size, options_.workers, env_.comm);
      record["val_loss"] = v.loss;
      record["val_accuracy"] = v.accuracy;
      result.val = v;
    }
    each(callbacks_, [&](Callback& cb) { cb.on_epoch_end(ctx_); });
    metrics.write(record);
    metrics.write_csv();
    ctx_.record = nullptr;
    if (epoch_complete) ++result.epochs_completed;
    progress.finish();
    log->info("epoch={} step={} train_loss={:.4f} train_acc={:.4f}{}", epoch + 1, ctx_.step,
              epoch_count > 0 ? epoch_loss / epoch_count : 0.0, epoch_count > 0 ? epoch_correct / epoch_count : 0.0,
              data_.val && options_.eval_each_epoch
                  ? fmt::format(" val_acc={:.4f}", result.val.accuracy)
                  : std::string());
    if (ctx_.step >= total_steps) stop = true;
    // Epoch-end checkpoints point at the start of the next epoch.
    write_checkpoint(epoch_complete ? epoch + 1 : epoch, epoch_complete ? 0 : ctx_.step_in_epoch);
  }
  progress.finish();

  if (!result.interrupted) {
    each(callbacks_, [&](Callback& cb) { cb.on_train_end(ctx_); });
    write_checkpoint(ctx_.epoch + 1, 0);
    if (data_.val) result.val = evaluate(model_, data_.val, options_.eval_batch_size, options_.workers, env_.comm);
    result.test = evaluate(model_, data_.test, options_.eval_batch_size, options_.workers, env_.comm);
    Json r = Json::object();
    r["kind"] = "final";
    r["step"] = ctx_.step;
    r["test_loss"] = result.test.loss;
    r["test_accuracy"] = result.test.accuracy;
    if (data_.val) r["val_accuracy"] = result.val.accuracy;
    metrics.write(r);
    metrics.write_csv();
  }
  model_->set_memory_format(c10::MemoryFormat::Contiguous);  // what export and saving expect
  result.steps = ctx_.step;
  result.train_seconds = train_seconds;
  result.data_wait_seconds = data_wait;
  // End to end (data waits included): what a user sees.
  result.train_images_per_second =
      train_seconds + data_wait > 0 ? static_cast<double>(images_seen) / (train_seconds + data_wait) : 0.0;
  result.wall_seconds = seconds_since(t_start);
  return result;
}

}  // namespace tinyprune
