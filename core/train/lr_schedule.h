// Learning-rate schedules as pure functions of the step (no hidden state, so a resumed run and a
// rewound IMP level get exactly the same learning rate for the same step).
#pragma once

#include <cstdint>

#include "core/train/train_options.h"

namespace tinyprune {

// Learning rate for optimizer step `step` (0-based) of a run of `total_steps` steps with
// `steps_per_epoch` steps per epoch. Warm-up is linear from base_lr*warmup_start_factor to
// base_lr over warmup_epochs; the decay (step/cosine) runs over the remaining steps.
double lr_at_step(const LrScheduleOptions& s, double base_lr, int64_t step, int64_t total_steps,
                  int64_t steps_per_epoch);

}  // namespace tinyprune
