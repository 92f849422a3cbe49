// timeout / timeout_at / Timeout: asyncio.timeout(), asyncio.timeout_at().
//
//   auto page = coreio::timeout(2s, [&] { return fetch(url); });
//   coreio::timeout(std::nullopt, [&](coreio::Timeout& t) {
//     t.reschedule(coreio::get_running_loop().time() + 1s);
//     work();
//   });
//
// Runs fn (fn() or fn(Timeout&)) in the calling task under a deadline. When
// the deadline passes, the task is cancelled (Task.cancel(), so whatever it
// awaits is cancelled too); if the CancelledError that this causes leaves fn,
// timeout() raises TimeoutError instead (std::throw_with_nested: the
// CancelledError is its nested exception, asyncio's `raise TimeoutError from
// CancelledError`). It tells its own cancellation from any other with the
// task's cancelling()/uncancel() counts, exactly as CPython's timeouts.py:
//  - enter: remember the task's cancelling() count;
//  - expiry: task.cancel(), state "expiring";
//  - exit: if expiring, state "expired" and task.uncancel(); if the count is
//    back to what it was at enter and a CancelledError escaped, it was ours:
//    raise TimeoutError. Otherwise someone else cancelled too: the
//    CancelledError propagates.
// So nested timeouts with the same deadline raise TimeoutError only in the
// outermost one, and an outer cancel() is never turned into a TimeoutError.
// uncancel() bringing the count to zero also drops a cancellation not yet
// delivered (3.13), so a fn that returns just as the deadline passes returns
// its value.
//
// A deadline at or before now fires from the loop's ready queue (call_soon,
// as asyncio), i.e. at fn's first suspension: a fn that never suspends
// completes normally. nullopt means no deadline (reschedulable later).
//
// Thread safety: Timeout's members may be called from any thread; the timer
// runs on the loop the task was on when the deadline was (re)scheduled, and
// cancels the task wherever it runs.
// Resumes on: fn runs in the calling task; nothing is resumed elsewhere.
// Cancellation: see above; an outer cancel propagates as CancelledError.
// Throws: TimeoutError (with a nested CancelledError), RuntimeError outside a
// task, whatever fn throws. reschedule() throws RuntimeError unless the
// timeout is active (not yet expired, not yet exited).
// Deviation from 3.13: an exception other than CancelledError leaving fn
// after the deadline propagates unchanged (C++ exceptions have no
// __context__ to insert a TimeoutError into).
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "coreio/detail/ref.hpp"
#include "coreio/exceptions.hpp"
#include "coreio/task.hpp"

namespace coreio {

namespace detail {
class TimeoutState;
} // namespace detail

/// asyncio.Timeout: the deadline of one timeout()/timeout_at() scope.
class Timeout {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  /// The deadline (on Loop::time()'s clock), or nullopt for none.
  [[nodiscard]] std::optional<time_point> when() const;
  /// Moves the deadline (nullopt: none). A deadline at or before now fires
  /// at once (from the ready queue). RuntimeError unless active.
  void reschedule(std::optional<time_point> when);
  /// True once the deadline has passed and the task was cancelled for it.
  [[nodiscard]] bool expired() const;

  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;
  ~Timeout();

  // ---- internal: the timeout_at() scope ----
  explicit Timeout(std::optional<time_point> when);
  /// __aenter__: binds to the calling task (RuntimeError outside one).
  void enter();
  /// __aexit__: true if a CancelledError leaving the scope is this timeout's
  /// own and must become TimeoutError. `cancelled`: one is leaving.
  bool exit(bool cancelled) noexcept;

private:
  detail::Ref<detail::TimeoutState> s_;
};

namespace detail {

template <class F>
decltype(auto) invoke_scope(F& fn, Timeout& t) {
  if constexpr (std::is_invocable_v<F&, Timeout&>) return std::invoke(fn, t);
  else return std::invoke(fn);
}

template <class F>
using scope_result_t = std::decay_t<decltype(invoke_scope(std::declval<F&>(), std::declval<Timeout&>()))>;

template <class F>
concept TimeoutBody = std::is_invocable_v<F&, Timeout&> || std::is_invocable_v<F&>;

/// now + delay, saturating (a huge delay means "practically never").
[[nodiscard]] Timeout::time_point deadline_after(std::chrono::nanoseconds delay) noexcept;

} // namespace detail

/// asyncio.timeout_at(when): runs fn under an absolute deadline.
template <detail::TimeoutBody F>
auto timeout_at(std::optional<Timeout::time_point> when, F&& fn) -> detail::scope_result_t<F> {
  using R = detail::scope_result_t<F>;
  Timeout t(when);
  t.enter();
  std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> result;
  try {
    if constexpr (std::is_void_v<R>) {
      detail::invoke_scope(fn, t);
      result.emplace(true);
    } else {
      result.emplace(detail::invoke_scope(fn, t));
    }
  } catch (const CancelledError&) {
    if (t.exit(true)) std::throw_with_nested(TimeoutError());
    throw;
  } catch (...) {
    t.exit(false);
    throw;
  }
  t.exit(false);
  if constexpr (!std::is_void_v<R>) return std::move(*result);
}

/// asyncio.timeout(delay): runs fn with a deadline `delay` from now
/// (nullopt: none; zero or negative: expires at fn's first suspension).
template <detail::TimeoutBody F>
auto timeout(std::optional<std::chrono::nanoseconds> delay, F&& fn) -> detail::scope_result_t<F> {
  std::optional<Timeout::time_point> when;
  if (delay) when = detail::deadline_after(*delay);
  return timeout_at(when, std::forward<F>(fn));
}

/// timeout() with any std::chrono duration (rounded up to nanoseconds).
template <class Rep, class Period, detail::TimeoutBody F>
auto timeout(std::chrono::duration<Rep, Period> delay, F&& fn) -> detail::scope_result_t<F> {
  // Saturate before converting: a delay beyond nanoseconds' range is "never".
  if (std::chrono::duration<double>(delay) >= std::chrono::duration<double>(std::chrono::nanoseconds::max()))
    return timeout(std::optional<std::chrono::nanoseconds>(std::chrono::nanoseconds::max()), std::forward<F>(fn));
  return timeout(std::optional<std::chrono::nanoseconds>(std::chrono::ceil<std::chrono::nanoseconds>(delay)),
                 std::forward<F>(fn));
}

} // namespace coreio
