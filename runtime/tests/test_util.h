/* Minimal C test harness: counts checks, prints "N passed, M failed" at the end. */
#ifndef TPR_TEST_UTIL_H
#define TPR_TEST_UTIL_H

#include <stdio.h>

static int tu_passed, tu_failed;

#define TU_CHECK(cond, ...)                                              \
  do {                                                                   \
    if (cond) {                                                          \
      ++tu_passed;                                                       \
    } else {                                                             \
      ++tu_failed;                                                       \
      if (tu_failed <= 30) {                                             \
        fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond); \
        fprintf(stderr, __VA_ARGS__);                                    \
        fprintf(stderr, "\n");                                           \
      }                                                                  \
    }                                                                    \
  } while (0)

static inline int tu_finish(void) {
  printf("%d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}

#endif
