#include "core/train/train_options.h"

#include "core/config_node.h"

namespace tinyprune {

TrainOptions TrainOptions::from_yaml(ConfigNode& t) {
  TrainOptions o;
  o.epochs = t.get_int("epochs", o.epochs, 1, 100000);
  o.max_steps = t.get_int("max_steps", o.max_steps, 0);
  o.batch_size = t.get_int("batch_size", o.batch_size, 1, 1 << 20);
  o.eval_batch_size = t.get_int("eval_batch_size", o.eval_batch_size, 1, 1 << 20);
  o.workers = t.get_int("workers", o.workers, 0, 64);
  o.drop_last = t.get_bool("drop_last", o.drop_last);
  o.augment = t.get_bool("augment", o.augment);
  o.label_smoothing = t.get_double("label_smoothing", o.label_smoothing, 0.0, 1.0, false, true);
  o.log_every = t.get_int("log_every", o.log_every, 1);
  o.checkpoint_every = t.get_int("checkpoint_every", o.checkpoint_every, 0);
  o.eval_each_epoch = t.get_bool("eval_each_epoch", o.eval_each_epoch);
  o.resume = t.get_bool("resume", o.resume);
  o.memory_format = t.get_choice("memory_format", o.memory_format, {"channels_last", "contiguous"});

  auto& opt = o.optimizer;
  opt.name = t.get_choice("optimizer", opt.name, {"sgd", "adam"});
  opt.lr = t.get_double("lr", opt.lr, 0.0, 10.0, /*min_open=*/true);
  opt.momentum = t.get_double("momentum", opt.momentum, 0.0, 1.0, false, true);
  opt.nesterov = t.get_bool("nesterov", opt.nesterov);
  opt.weight_decay = t.get_double("weight_decay", opt.weight_decay, 0.0, 1.0);
  opt.beta1 = t.get_double("beta1", opt.beta1, 0.0, 1.0, false, true);
  opt.beta2 = t.get_double("beta2", opt.beta2, 0.0, 1.0, false, true);
  opt.eps = t.get_double("eps", opt.eps, 0.0, 1.0, true);
  if (opt.nesterov && (opt.name != "sgd" || opt.momentum <= 0))
    throw t.error("nesterov", "nesterov needs optimizer: sgd with momentum > 0");

  ConfigNode s = t.child("schedule");
  auto& sch = o.schedule;
  sch.name = s.get_choice("name", sch.name, {"constant", "step", "cosine"});
  sch.warmup_epochs = s.get_double("warmup_epochs", sch.warmup_epochs, 0.0, 1e6);
  sch.warmup_start_factor = s.get_double("warmup_start_factor", sch.warmup_start_factor, 0.0, 1.0);
  sch.milestones = s.get_int_list("milestones", sch.milestones);
  sch.step_size = s.get_int("step_size", sch.step_size, 1);
  sch.gamma = s.get_double("gamma", sch.gamma, 0.0, 1.0, true);
  sch.min_lr = s.get_double("min_lr", sch.min_lr, 0.0);
  for (size_t i = 1; i < sch.milestones.size(); ++i)
    if (sch.milestones[i] <= sch.milestones[i - 1])
      throw s.error("milestones", "expected strictly increasing epochs");
  return o;
}

}  // namespace tinyprune
