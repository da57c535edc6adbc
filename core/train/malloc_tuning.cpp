#include "core/train/malloc_tuning.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "core/logging.h"

namespace tinyprune {

bool tune_malloc_for_training() {
  static std::once_flag once;
  static bool changed = false;
  std::call_once(once, [] {
#if defined(__GLIBC__)
    const char* mode = std::getenv("TINYPRUNE_MALLOC");
    if ((mode && std::strcmp(mode, "default") == 0) || std::getenv("MALLOC_MMAP_THRESHOLD_") ||
        std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("GLIBC_TUNABLES"))
      return;
    // Setting either value also turns off glibc's dynamic threshold adjustment, which did not
    // keep up with the step's buffers (see the header).
    changed = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 512 << 20) == 1;
    get_logger("train")->debug("malloc tuned for training: mmap threshold 32 MiB, trim threshold 512 MiB ({})",
                               changed ? "ok" : "refused by the C library");
#endif
  });
  return changed;
}

}  // namespace tinyprune
