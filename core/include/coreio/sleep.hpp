// sleep / yield_now: asyncio.sleep(d) and asyncio.sleep(0).
//
// Resumes on: the loop whose timer fired (an unpinned task may continue on
// another loop after stealing). Outside a task, sleep blocks the calling
// thread and yield_now yields the thread.
// Cancellation: a cancelled sleep throws CancelledError and its timer is cancelled.
// Throws: CancelledError.
#pragma once

#include <chrono>

namespace coreio {

/// Suspends the calling task for `delay` (zero or negative: one scheduler turn).
void sleep(std::chrono::nanoseconds delay);

template <class Rep, class Period>
void sleep(std::chrono::duration<Rep, Period> delay) {
  sleep(std::chrono::duration_cast<std::chrono::nanoseconds>(delay));
}

/// Suspends until the loop clock reaches `when`.
void sleep_until(std::chrono::steady_clock::time_point when);

/// asyncio.sleep(0): lets every other ready task and callback run once.
void yield_now();

} // namespace coreio
