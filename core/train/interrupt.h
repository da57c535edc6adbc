// Ctrl-C handling: the first SIGINT/SIGTERM sets a flag the trainer polls after every step (it then
// writes a checkpoint and returns); a second one terminates immediately.
#pragma once

namespace tinyprune {

void install_interrupt_handler();
bool interrupt_requested();
void clear_interrupt();
// For tests: behave as if Ctrl-C had been pressed.
void request_interrupt();

}  // namespace tinyprune
