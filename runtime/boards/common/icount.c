#include "icount.h"

volatile uint32_t icount_mark_slots[ICOUNT_NSLOTS];

__attribute__((noinline, used)) void icount_mark(uint32_t id) {
  icount_mark_slots[id & (ICOUNT_NSLOTS - 1u)] = id;
}
