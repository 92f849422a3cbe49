// sleep / yield_now: asyncio.sleep(d) and asyncio.sleep(0).
//
// Resumes on: the loop whose timer fired (an unpinned task may continue on
// another loop after stealing). Outside a task, sleep blocks the calling
// thread and yield_now yields the thread.
// Cancellation: a cancelled sleep throws CancelledError and its timer is cancelled.
// Throws: CancelledError; ValueError for a NaN floating-point delay (asyncio
// 3.13's "Invalid delay: NaN (not a number)").
//
// Delays: zero or negative (-inf included) is one scheduler turn, as
// asyncio.sleep(0). A delay longer than max_sleep_delay (100 years; +inf, or
// an integer duration too large for nanoseconds) waits max_sleep_delay, in
// effect until cancelled, as asyncio.sleep(math.inf). The nanoseconds
// overload takes its argument as it is: now + delay must fit the clock.
#pragma once

#include <chrono>
#include <cmath>
#include <type_traits>

#include "coreio/exceptions.hpp"

namespace coreio {

/// The longest wait sleep(duration) performs: longer delays are clamped to it.
inline constexpr std::chrono::nanoseconds max_sleep_delay = std::chrono::hours(24 * 365 * 100);

/// Suspends the calling task for `delay` (zero or negative: one scheduler turn).
void sleep(std::chrono::nanoseconds delay);

void yield_now();

/// Any duration, integral or floating-point: NaN raises ValueError, <= 0 is
/// one scheduler turn, above max_sleep_delay waits max_sleep_delay (no
/// overflow in the conversion to nanoseconds, which would be undefined).
template <class Rep, class Period>
void sleep(std::chrono::duration<Rep, Period> delay) {
  // Compared as double nanoseconds: exact enough for the range checks, and a
  // conversion that cannot overflow whatever Rep and Period are.
  const std::chrono::duration<double, std::nano> ns(delay);
  if constexpr (std::is_floating_point_v<Rep>) {
    if (std::isnan(ns.count())) throw ValueError("Invalid delay: NaN (not a number)");
  }
  if (!(ns.count() > 0)) {
    yield_now();
    return;
  }
  if (ns >= max_sleep_delay) {
    sleep(max_sleep_delay);
    return;
  }
  sleep(std::chrono::duration_cast<std::chrono::nanoseconds>(delay));
}

/// Suspends until the loop clock reaches `when`.
void sleep_until(std::chrono::steady_clock::time_point when);

/// asyncio.sleep(0): lets every other ready task and callback run once.
void yield_now();

} // namespace coreio
