// Stack-overflow reporting: a SIGSEGV handler (on an alternate signal stack
// per loop thread) that recognises a fault on the guard page of the running
// task's stack, prints "coreio: stack overflow in task '<name>'" and aborts.
// Any other fault is passed to the previously installed handler (or the
// default action), so ASan's and the user's handlers keep working.
#pragma once

namespace coreio::detail {

/// Installs the process-wide handler once (idempotent, thread-safe).
void install_overflow_handler();

/// Per loop thread: gives the thread an alternate signal stack (kept until the
/// thread exits) so the handler can run after the task's stack is exhausted.
void setup_thread_altstack();

} // namespace coreio::detail
