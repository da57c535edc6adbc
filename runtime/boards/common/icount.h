/* Region markers for exact instruction counts on QEMU (with tools/insncount.c).
 * icount_mark(id) stores to icount_mark_slots[id]; the plugin watches stores made inside
 * icount_mark and logs "MARK <id> <instructions so far>". A mark costs a few instructions of its
 * own: calibrate with two back-to-back marks and subtract. */
#ifndef TPR_ICOUNT_H
#define TPR_ICOUNT_H
#include <stdint.h>
#define ICOUNT_NSLOTS 256
extern volatile uint32_t icount_mark_slots[ICOUNT_NSLOTS];
void icount_mark(uint32_t id);
#endif
