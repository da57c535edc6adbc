#include "schedulers/sparsity_schedule.h"

#include <algorithm>
#include <cmath>

#include "core/config_node.h"
#include "core/error.h"

namespace tinyprune {

double cubic_sparsity(double initial, double final, double x) {
  x = std::clamp(x, 0.0, 1.0);
  const double r = 1.0 - x;
  return final + (initial - final) * r * r * r;
}

void SparsitySchedule::validate() const {
  TP_CHECK(final >= 0.0 && final < 1.0, "schedule: final sparsity must be in [0, 1), got ", final);
  TP_CHECK(initial >= 0.0 && initial <= final, "schedule: initial sparsity must be in [0, final=", final, "], got ",
           initial);
  TP_CHECK(begin >= 0 && end >= begin, "schedule: expected 0 <= begin <= end, got begin=", begin, " end=", end);
  TP_CHECK(every >= 1, "schedule: every must be >= 1, got ", every);
  TP_CHECK(rounds >= 1, "schedule: rounds must be >= 1, got ", rounds);
}

std::vector<int64_t> SparsitySchedule::events() const {
  std::vector<int64_t> out;
  switch (kind) {
    case ScheduleKind::kOneShot: out.push_back(begin); break;
    case ScheduleKind::kLinear:
    case ScheduleKind::kCubic:
      for (int64_t t = begin; t < end; t += every) out.push_back(t);
      out.push_back(end);
      break;
    case ScheduleKind::kIterative:
      for (int64_t r = 0; r < rounds; ++r)
        out.push_back(rounds == 1 ? end : begin + (end - begin) * r / (rounds - 1));
      break;
  }
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool SparsitySchedule::is_event(int64_t step) const {
  if (step < begin || step > end) return false;
  switch (kind) {
    case ScheduleKind::kOneShot: return step == begin;
    case ScheduleKind::kLinear:
    case ScheduleKind::kCubic: return step == end || (step - begin) % every == 0;
    case ScheduleKind::kIterative: {
      const auto ev = events();
      return std::binary_search(ev.begin(), ev.end(), step);
    }
  }
  return false;
}

double SparsitySchedule::at(int64_t step) const {
  if (step < begin) return 0.0;
  if (step >= end) return final;
  // Held at the value of the last event at or before `step`.
  const auto ev = events();
  const int64_t last = *std::prev(std::upper_bound(ev.begin(), ev.end(), step));
  const double span = static_cast<double>(std::max<int64_t>(1, end - begin));
  const double x = static_cast<double>(last - begin) / span;
  switch (kind) {
    case ScheduleKind::kOneShot: return final;
    case ScheduleKind::kLinear: return initial + (final - initial) * x;
    case ScheduleKind::kCubic: return cubic_sparsity(initial, final, x);
    case ScheduleKind::kIterative: {
      const int64_t round = std::distance(ev.begin(), std::find(ev.begin(), ev.end(), last)) + 1;
      return 1.0 - std::pow(1.0 - final, static_cast<double>(round) / static_cast<double>(rounds));
    }
  }
  return final;
}

ScheduleOptions ScheduleOptions::from_yaml(ConfigNode& node) {
  ScheduleOptions o;
  o.kind = node.get_choice("kind", o.kind, {"one_shot", "linear", "cubic", "iterative"});
  o.initial = node.get_double("initial", o.initial, 0.0, 1.0, false, true);
  o.begin_epoch = node.get_double("begin_epoch", o.begin_epoch, -1.0);
  o.end_epoch = node.get_double("end_epoch", o.end_epoch, -1.0);
  o.begin_step = node.get_int("begin_step", o.begin_step, -1);
  o.end_step = node.get_int("end_step", o.end_step, -1);
  o.every = node.get_int("every", o.every, 0);
  o.rounds = node.get_int("rounds", o.rounds, 1, 1000);
  const bool has_begin = o.begin_step >= 0 || o.begin_epoch >= 0, has_end = o.end_step >= 0 || o.end_epoch >= 0;
  if (has_begin && has_end) {
    // Only comparable when given in the same unit; mixed units are checked at to_schedule().
    if (o.begin_step >= 0 && o.end_step >= 0 && o.end_step < o.begin_step)
      throw node.error("end_step", str_cat("expected end_step >= begin_step (", o.begin_step, "), got ", o.end_step));
    if (o.begin_epoch >= 0 && o.end_epoch >= 0 && o.end_epoch < o.begin_epoch)
      throw node.error("end_epoch",
                       str_cat("expected end_epoch >= begin_epoch (", o.begin_epoch, "), got ", o.end_epoch));
  }
  return o;
}

SparsitySchedule ScheduleOptions::to_schedule(double final, int64_t steps_per_epoch, int64_t total_steps) const {
  SparsitySchedule s;
  s.kind = kind == "linear"      ? ScheduleKind::kLinear
           : kind == "cubic"     ? ScheduleKind::kCubic
           : kind == "iterative" ? ScheduleKind::kIterative
                                 : ScheduleKind::kOneShot;
  s.final = final;
  s.initial = std::min(initial, final);
  const auto resolve = [&](int64_t step, double epoch, int64_t def) {
    if (step >= 0) return step;
    if (epoch >= 0) return static_cast<int64_t>(std::llround(epoch * static_cast<double>(steps_per_epoch)));
    return def;
  };
  const int64_t last = std::max<int64_t>(0, total_steps - 1);
  s.begin = std::min(resolve(begin_step, begin_epoch, 0), last);
  s.end = s.kind == ScheduleKind::kOneShot ? s.begin
                                           : std::min(resolve(end_step, end_epoch, total_steps * 3 / 4), last);
  s.end = std::max(s.end, s.begin);
  s.every = every > 0 ? every : std::max<int64_t>(1, steps_per_epoch / 4);
  s.rounds = rounds;
  s.validate();
  return s;
}

}  // namespace tinyprune
