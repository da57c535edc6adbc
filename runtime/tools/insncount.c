/* insncount.so: QEMU TCG plugin (plugin API version 1, QEMU 7.x) that counts executed guest
 * instructions exactly and reports them at region markers.
 *
 * Every translated instruction gets an inline "count += 1" (so a TB left early by an exception
 * is still counted exactly). Stores executed by instructions inside the marker function
 * [mark, mark+marksize) to the slot array [slots, slots + 4*nslots) print "MARK <slot> <count>".
 * At exit: "TOTAL <count>".
 * Arguments: mark=ADDR,marksize=BYTES,slots=ADDR,nslots=N,out=FILE (default: QEMU's log).
 * Build: gcc -shared -fPIC -O2 -o insncount.so insncount.c $(pkg-config --cflags glib-2.0)
 *
 * Debian ships no qemu-plugin.h: the few API declarations used are restated below (they must
 * match QEMU's plugin ABI, version 1). */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
typedef struct qemu_info_t {
  const char* target_name;
  struct { int min, cur; } version;
  bool system_emulation;
  union { struct { int smp_vcpus, max_vcpus; } system; };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t,
                                           void (*)(qemu_plugin_id_t, struct qemu_plugin_tb*));
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn*, enum qemu_plugin_op,
                                                void*, uint64_t);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn*,
                                      void (*)(unsigned int, qemu_plugin_meminfo_t, uint64_t, void*),
                                      enum qemu_plugin_cb_flags, enum qemu_plugin_mem_rw, void*);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, void (*)(qemu_plugin_id_t, void*), void*);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb*);
struct qemu_plugin_insn* qemu_plugin_tb_get_insn(const struct qemu_plugin_tb*, size_t);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn*);
void qemu_plugin_outs(const char*);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static struct {
  uint64_t count; /* one vCPU (Cortex-M): no atomics needed */
  uint64_t mark_begin, mark_end, slots_begin, slots_end;
  FILE* out;
} g;

static void say(const char* line) {
  if (g.out) {
    fputs(line, g.out);
    fflush(g.out);
  } else {
    qemu_plugin_outs(line);
  }
}

static void on_marker_store(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t addr, void* u) {
  (void)vcpu; (void)info; (void)u;
  if (addr < g.slots_begin || addr >= g.slots_end) return;
  char line[80];
  snprintf(line, sizeof line, "MARK %" PRIu64 " %" PRIu64 "\n", (addr - g.slots_begin) / 4u, g.count);
  say(line);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; ++i) {
    struct qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, i);
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &g.count, 1);
    const uint64_t pc = qemu_plugin_insn_vaddr(insn);
    if (pc >= g.mark_begin && pc < g.mark_end)
      qemu_plugin_register_vcpu_mem_cb(insn, on_marker_store, QEMU_PLUGIN_CB_NO_REGS,
                                       QEMU_PLUGIN_MEM_W, NULL);
  }
}

static void on_exit_cb(qemu_plugin_id_t id, void* u) {
  (void)id; (void)u;
  char line[64];
  snprintf(line, sizeof line, "TOTAL %" PRIu64 "\n", g.count);
  say(line);
  if (g.out) fclose(g.out);
  g.out = NULL;
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t* info, int argc,
                                                               char** argv) {
  uint64_t marksize = 0, nslots = 256;
  (void)info;
  for (int i = 0; i < argc; ++i) {
    const char* eq = strchr(argv[i], '=');
    if (!eq) continue;
    const size_t klen = (size_t)(eq - argv[i]);
    const char* v = eq + 1;
    if (klen == 4 && !strncmp(argv[i], "mark", 4)) g.mark_begin = strtoull(v, NULL, 0) & ~1ull;
    else if (klen == 8 && !strncmp(argv[i], "marksize", 8)) marksize = strtoull(v, NULL, 0);
    else if (klen == 5 && !strncmp(argv[i], "slots", 5)) g.slots_begin = strtoull(v, NULL, 0);
    else if (klen == 6 && !strncmp(argv[i], "nslots", 6)) nslots = strtoull(v, NULL, 0);
    else if (klen == 3 && !strncmp(argv[i], "out", 3)) {
      g.out = fopen(v, "w");
      if (!g.out) return -1;
    }
  }
  g.mark_end = g.mark_begin ? g.mark_begin + marksize : 0;
  g.slots_end = g.slots_begin + 4u * nslots;
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
  return 0;
}
