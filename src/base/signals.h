// Clean shutdown on SIGINT/SIGTERM without async-signal-unsafe handlers: main() blocks the
// signals before any thread starts (threads inherit the mask), and a daemon waits for one
// with WaitForTerminationSignal, then stops its parts in order.
#pragma once

namespace steady {

// Blocks SIGINT, SIGTERM and SIGPIPE in the calling thread (call first thing in main).
void BlockTerminationSignals();
// Waits until SIGINT or SIGTERM arrives; returns the signal number.
int WaitForTerminationSignal();

}  // namespace steady
