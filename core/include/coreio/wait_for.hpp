// wait_for: asyncio.wait_for, await one thing with a timeout.
//
//   int v = coreio::wait_for(task, 100ms);
//   auto page = coreio::wait_for([&] { return fetch(url); }, 2s);
//
// asyncio 3.12+ semantics (wait_for is `async with timeout(t): return await aw`):
//  - timeout nullopt: a plain await.
//  - a Task/Future: awaited under timeout(). On timeout the awaiting task is
//    cancelled, which cancels the awaited task; wait_for then waits until
//    that task has really finished and raises TimeoutError. If the task
//    swallows the cancellation and returns a value, or its value arrives at
//    the same moment as the deadline, that value is returned, never lost
//    (gh-86296). An exception it raises while being cancelled propagates.
//  - a callable: run in the calling task under timeout() (as 3.12 awaits a
//    coroutine in place, without a new task).
//  - timeout <= 0: a done future gives its result at once; otherwise the
//    future is cancelled, waited for, and TimeoutError raised (unless it
//    ends with a value or another exception, which wins); a callable is
//    never called (asyncio never starts the coroutine).
//
// Thread safety: the awaited task may run on any loop.
// Resumes on: as Future::get(), or the timeout's timer.
// Cancellation: cancelling the calling task cancels the awaited task and
// always propagates CancelledError, even if the deadline passed at the same
// time (the cancel counts tell the two apart; see timeout.hpp).
// Throws: TimeoutError (with the CancelledError nested), the awaited
// failure, CancelledError; RuntimeError outside a task when a timeout is given.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "coreio/detail/awaitable.hpp"
#include "coreio/timeout.hpp"

namespace coreio {

namespace detail {

/// asyncio's _cancel_and_wait: cancels f and waits until it is done, on a
/// private waiter (so that cancelling the caller does not cancel f twice).
void cancel_and_wait(FutureStateBase& f);

/// Throws TimeoutError with a CancelledError nested (a never-started callable).
[[noreturn]] void throw_timeout_never_started();

/// The value of a done future (T, or nothing for void); rethrows its failure.
template <bool Move, class T>
T take_value(const Future<T>& f) {
  if constexpr (std::is_void_v<T>) f.result();
  else if constexpr (Move) return std::move(f.result());
  else return f.result();
}

template <bool Move, class T>
T take_value_or_timeout(const Future<T>& f) {
  if (f.cancelled()) {
    try {
      f.result();
    } catch (const CancelledError&) {
      std::throw_with_nested(TimeoutError());
    }
  }
  return take_value<Move>(f);
}

} // namespace detail

/// asyncio.wait_for(aw, timeout).
template <detail::Awaitable A>
auto wait_for(A&& aw, std::optional<std::chrono::nanoseconds> delay) -> detail::awaited_t<A> {
  using T = detail::awaited_t<A>;
  constexpr bool move = detail::owns_result_v<A>;
  const bool now = delay && *delay <= std::chrono::nanoseconds::zero();
  if constexpr (detail::TaskBody<A>) {
    if (now) detail::throw_timeout_never_started();
    if (!delay) return std::invoke(aw);
    return coreio::timeout(delay, [&]() -> T { return std::invoke(aw); });
  } else {
    const auto& f = aw;
    if (!delay) {
      f.wait();
      return detail::take_value<move>(f);
    }
    if (now) {
      if (f.done()) return detail::take_value<move>(f);
      detail::cancel_and_wait(detail::Access::state(f));
      return detail::take_value_or_timeout<move>(f);
    }
    return coreio::timeout(delay, [&]() -> T {
      f.wait();
      return detail::take_value<move>(f);
    });
  }
}

/// wait_for() with any std::chrono duration (rounded up to nanoseconds).
template <detail::Awaitable A, class Rep, class Period>
auto wait_for(A&& aw, std::chrono::duration<Rep, Period> delay) -> detail::awaited_t<A> {
  if (std::chrono::duration<double>(delay) >= std::chrono::duration<double>(std::chrono::nanoseconds::max()))
    return wait_for(std::forward<A>(aw), std::optional<std::chrono::nanoseconds>(std::chrono::nanoseconds::max()));
  return wait_for(std::forward<A>(aw),
                  std::optional<std::chrono::nanoseconds>(std::chrono::ceil<std::chrono::nanoseconds>(delay)));
}

} // namespace coreio
