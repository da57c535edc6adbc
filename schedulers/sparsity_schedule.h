// Sparsity schedules: *when and how much* to prune, as pure functions of the optimizer step.
//
//   one_shot   s(t) = 0 before `begin`, `final` from `begin` on (one pruning event at `begin`)
//   linear     s rises linearly from `initial` at `begin` to `final` at `end`, in events every
//              `every` steps
//   cubic      Zhu & Gupta (2017): s(t) = final + (initial - final) * (1 - (t - begin)/(end - begin))^3,
//              pruning every `every` steps between begin and end (fast early, gentle late)
//   iterative  `rounds` equal-ratio rounds: after round r the kept fraction is (1-final)^(r/rounds)
//              (each round removes the same fraction of what is left), rounds evenly spaced in
//              [begin, end]
// s(t) is held at its last event value between events; before `begin` it is 0 (nothing pruned),
// from `end` on it is `final`. `is_event(t)` says whether a pruner should (re)compute masks at
// step t. Steps are optimizer steps completed (TrainContext::step).
//
// YAML (under prune.schedule; epochs are converted with the run's steps per epoch):
//   schedule: {kind: cubic, initial: 0.0, begin_epoch: 1, end_epoch: 3, every: 50}
// `begin`/`end` may also be given in steps (begin_step, end_step); defaults: begin at 0 and end
// at 3/4 of training, so the last quarter fine-tunes the final sparsity.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinyprune {

class ConfigNode;

enum class ScheduleKind { kOneShot, kLinear, kCubic, kIterative };

struct SparsitySchedule {
  ScheduleKind kind = ScheduleKind::kOneShot;
  double initial = 0.0;     // [0, final]
  double final = 0.5;       // [0, 1)
  int64_t begin = 0;        // step of the first event
  int64_t end = 0;          // step of the last event (== begin for one-shot)
  int64_t every = 1;        // steps between events (linear / cubic)
  int64_t rounds = 1;       // iterative

  // Target sparsity after the events up to and including step t.
  double at(int64_t step) const;
  // Is step t a pruning event?
  bool is_event(int64_t step) const;
  // Every event step, ascending (for reports and tests).
  std::vector<int64_t> events() const;
  // Throws ConfigError-free Error naming the bad field (used after building in code).
  void validate() const;
};

// YAML form before the run knows its step counts. Resolve with to_schedule().
struct ScheduleOptions {
  std::string kind = "one_shot";   // one_shot | linear | cubic | iterative
  double initial = 0.0;
  double begin_epoch = -1, end_epoch = -1;   // -1 = unset
  int64_t begin_step = -1, end_step = -1;    // -1 = unset; steps win over epochs
  int64_t every = 0;                         // 0 = steps_per_epoch / 4 (>= 1)
  int64_t rounds = 3;

  // Reads the `schedule` map (absent keys keep defaults); errors carry file:line.
  static ScheduleOptions from_yaml(ConfigNode& node);
  // `final` is the method's target sparsity. Clamps end to total_steps.
  SparsitySchedule to_schedule(double final, int64_t steps_per_epoch, int64_t total_steps) const;
};

// Zhu & Gupta's cubic ramp at fraction x in [0, 1] of the way from begin to end.
double cubic_sparsity(double initial, double final, double x);

}  // namespace tinyprune
