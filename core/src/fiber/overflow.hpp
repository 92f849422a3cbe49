// Stack-overflow reporting: "coreio: stack overflow in task '<name>'" on
// stderr, then abort. Two ways in (stack_pool.hpp has the layouts):
//  - a SIGSEGV handler (on an alternate signal stack per loop thread) that
//    recognises a fault on the guard page of the running task's stack, or a
//    fault while its stack pointer is below its slab stack;
//  - the slab stacks' canary check when a task switches back to its loop.
// Any other fault is passed to the previously installed handler (or the
// default action), so ASan's and the user's handlers keep working.
#pragma once

namespace coreio::detail {

class TaskBase;

/// How an overflow was noticed (the message differs: a canary is found after the fact).
enum class StackOverflowSeen { fault, canary };

/// Called on the loop's side after a task on a slab stack switched back to
/// it: reports an overflow if the task's saved stack pointer is below its
/// stack or the canary below the stack was overwritten (stack_pool.hpp). Out
/// of line: the check is cold.
void check_slab_stack(const TaskBase& t) noexcept;

/// Prints the message naming `t` and aborts. Async-signal-safe (no allocation).
[[noreturn]] void report_stack_overflow(const TaskBase& t, StackOverflowSeen how) noexcept;

/// Installs the process-wide handler once (idempotent, thread-safe).
void install_overflow_handler();

/// Per loop thread: gives the thread an alternate signal stack (kept until the
/// thread exits) so the handler can run after the task's stack is exhausted.
void setup_thread_altstack();

} // namespace coreio::detail
