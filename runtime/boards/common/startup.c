/* Minimal Cortex-M startup for QEMU test firmware (all boards). Test/app code only: it uses
 * newlib's semihosting (rdimon) for printf and exit; the runtime library never does.
 * - enables the FPU and MVE coprocessors before any C loop (GCC may vectorize with MVE);
 * - zeroes .bss, initialises semihosting and static constructors, calls main(0, NULL);
 * - exit(status) ends QEMU with that status (semihosting SYS_EXIT_EXTENDED);
 * - faults print the fault status registers and exit with 99. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern uint32_t __bss_start__, __bss_end__, __stack_top;
extern char end, __heap_limit;
extern int main(int argc, char** argv);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);

void _init(void) {}
void _fini(void) {}

/* newlib's rdimon _sbrk refuses a heap above the stack (the an547 heap is in DDR, above DTCM) */
void* _sbrk(ptrdiff_t incr) {
  static char* brk = &end;
  if (incr > &__heap_limit - brk || incr < &end - brk) {
    errno = ENOMEM;
    return (void*)-1;
  }
  char* prev = brk;
  brk += incr;
  return prev;
}

#define SCB_CPACR (*(volatile uint32_t*)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t*)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t*)0xE000ED2Cu)

void Reset_Handler(void) {
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
  SCB_CPACR |= 0xFu << 20; /* CP10 + CP11 full access: FPU and MVE */
  __asm volatile("dsb\n\tisb" ::: "memory");
#endif
  for (volatile uint32_t* p = &__bss_start__; p < &__bss_end__;) *p++ = 0;
  initialise_monitor_handles();
  __libc_init_array();
  exit(main(0, NULL));
}

static void fault(const char* what) {
  printf("\n*** %s: CFSR=0x%08lx HFSR=0x%08lx\n", what, (unsigned long)SCB_CFSR,
         (unsigned long)SCB_HFSR);
  exit(99);
}
void HardFault_Handler(void) { fault("HardFault"); }
void MemManage_Handler(void) { fault("MemManage"); }
void BusFault_Handler(void) { fault("BusFault"); }
void UsageFault_Handler(void) { fault("UsageFault"); }
void SecureFault_Handler(void) { fault("SecureFault"); }
void Default_Handler(void) { fault("unexpected interrupt"); }

typedef void (*tpr_vector)(void);
__attribute__((section(".vectors"), used)) const tpr_vector tpr_vector_table[32] = {
    (tpr_vector)(uintptr_t)&__stack_top, Reset_Handler, Default_Handler, HardFault_Handler,
    MemManage_Handler, BusFault_Handler, UsageFault_Handler, SecureFault_Handler,
    0, 0, 0, Default_Handler /* SVC */, Default_Handler /* DebugMon */, 0,
    Default_Handler /* PendSV */, Default_Handler /* SysTick */,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler};
