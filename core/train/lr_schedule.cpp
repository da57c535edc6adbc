#include "core/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace tinyprune {

double lr_at_step(const LrScheduleOptions& s, double base_lr, int64_t step, int64_t total_steps,
                  int64_t steps_per_epoch) {
  const double spe = static_cast<double>(std::max<int64_t>(1, steps_per_epoch));
  const double warmup = s.warmup_epochs * spe;
  const double t = static_cast<double>(step);
  if (t < warmup) {
    const double f = s.warmup_start_factor + (1.0 - s.warmup_start_factor) * (t / warmup);
    return base_lr * f;
  }
  if (s.name == "constant") return base_lr;
  if (s.name == "step") {
    const double epoch = t / spe;
    int64_t decays = 0;
    if (!s.milestones.empty()) {
      for (int64_t m : s.milestones)
        if (epoch >= static_cast<double>(m)) ++decays;
    } else {
      decays = static_cast<int64_t>(std::floor(epoch / static_cast<double>(s.step_size)));
    }
    return base_lr * std::pow(s.gamma, static_cast<double>(decays));
  }
  // cosine over the post-warm-up steps
  const double span = std::max(1.0, static_cast<double>(total_steps) - warmup);
  const double progress = std::clamp((t - warmup) / span, 0.0, 1.0);
  return s.min_lr + (base_lr - s.min_lr) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace tinyprune
