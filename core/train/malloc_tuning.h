// Heap settings for training loops (glibc).
//
// A training step allocates and frees the same large activation and gradient buffers every
// step. With glibc's defaults, buffers above the mmap threshold are mmap'ed and unmapped each
// time, and freed heap tops are trimmed back to the kernel, so every step page-faults its
// working set in again: measured 10-20 % of a VGG-11 step on CPU (bench/train_throughput).
// tune_malloc_for_training() keeps such buffers in the heap: mmap threshold 32 MiB (glibc's
// maximum) and trim threshold 512 MiB, i.e. up to 512 MiB of freed memory stays with the
// process between steps, as a caching allocator would keep it.
//
// Process-wide and idempotent. It does nothing when the user set glibc's own tunables
// (MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ / GLIBC_TUNABLES) or TINYPRUNE_MALLOC=default,
// and nothing on other C libraries. Returns true when it changed the settings.
#pragma once

namespace tinyprune {

bool tune_malloc_for_training();

}  // namespace tinyprune
