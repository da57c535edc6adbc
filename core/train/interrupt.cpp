#include "core/train/interrupt.h"

#include <atomic>
#include <csignal>
#include <cstdlib>

namespace tinyprune {
namespace {
std::atomic<int> g_interrupts{0};

extern "C" void on_signal(int sig) {
  if (g_interrupts.fetch_add(1) >= 1) std::_Exit(128 + sig);  // second Ctrl-C: stop now
}
}  // namespace

void install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}
bool interrupt_requested() { return g_interrupts.load() > 0; }
void clear_interrupt() { g_interrupts.store(0); }
void request_interrupt() { g_interrupts.store(1); }

}  // namespace tinyprune
