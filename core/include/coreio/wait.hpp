// wait: asyncio.wait, block until some or all of a set of futures are done.
//
//   auto [done, pending] = coreio::wait(tasks, {.timeout = 50ms, .return_when = coreio::FIRST_COMPLETED});
//
// Takes a range of Tasks, Futures or TaskHandles (not callables: asyncio 3.11+
// refuses coroutines here, since nothing would own the tasks they become) and
// returns them split into `done` and `pending`, deduplicated, in input order.
// `done` is computed after waking, so it may hold more than the one future
// that woke the wait (asyncio's test_wait_really_done).
//
// return_when: ALL_COMPLETED (default) waits for all; FIRST_COMPLETED for the
// first one done; FIRST_EXCEPTION for the first one that fails with an
// exception (a cancelled future is not a failure here), or all if none fails.
//
// Thread safety: the futures may complete on any loop.
// Resumes on: the waiting task is woken by a done callback that runs on the
// loop it was on when it called wait(), or by the timeout timer there.
// Cancellation: cancelling the waiting task raises CancelledError and leaves
// the futures alone: wait() never cancels anything (asyncio's
// test_yield_wait_does_not_shield_cancel).
// Throws: ValueError if the input is empty. Never TimeoutError: when the
// timeout passes, the unfinished futures are simply in `pending`.
// RuntimeError if a timeout is given outside a runtime thread (the timer
// needs a loop); without one, wait() also works from a plain OS thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <ranges>
#include <span>
#include <type_traits>
#include <vector>

#include "coreio/detail/awaitable.hpp"

namespace coreio {

/// asyncio's return_when constants.
enum class ReturnWhen { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;

struct WaitOptions {
  /// Longest wait; nullopt (the default) waits as long as return_when needs.
  /// Zero or negative: report what is done after one turn of the loop.
  std::optional<std::chrono::nanoseconds> timeout = std::nullopt;
  ReturnWhen return_when = ALL_COMPLETED;
};

/// wait()'s result: asyncio's (done, pending) pair, usable with structured bindings.
template <class Fut>
struct DoneAndPending {
  std::vector<Fut> done;
  std::vector<Fut> pending;
};

namespace detail {

/// The non-template part: waits on distinct, non-empty `fs` as `opts` says.
void wait_states(std::span<FutureStateBase* const> fs, const WaitOptions& opts);

template <class Fut>
DoneAndPending<Fut> wait_impl(std::vector<Fut> fs, const WaitOptions& opts) {
  std::vector<FutureStateBase*> all;
  all.reserve(fs.size());
  for (const auto& f : fs) all.push_back(detail::Access::state_ref(f).get());
  const std::vector<bool> first = first_occurrences(all);
  std::vector<Fut> unique;
  std::vector<FutureStateBase*> states;
  unique.reserve(fs.size());
  states.reserve(fs.size());
  for (std::size_t i = 0; i < fs.size(); ++i) {
    if (!first[i]) continue;
    states.push_back(all[i]);
    unique.push_back(std::move(fs[i]));
  }
  wait_states(states, opts);
  DoneAndPending<Fut> out;
  for (auto& f : unique) (detail::Access::state_ref(f)->done() ? out.done : out.pending).push_back(std::move(f));
  return out;
}

} // namespace detail

/// asyncio.wait(fs, timeout=, return_when=): blocks, then returns {done, pending}.
template <std::ranges::input_range R>
  requires detail::Waitable<std::ranges::range_reference_t<R>> &&
           (!detail::TaskBody<std::ranges::range_reference_t<R>>)
auto wait(R&& fs, WaitOptions opts = {}) -> DoneAndPending<std::remove_cvref_t<std::ranges::range_reference_t<R>>> {
  using Fut = std::remove_cvref_t<std::ranges::range_reference_t<R>>;
  std::vector<Fut> v;
  for (auto&& f : fs) v.push_back(f);
  return detail::wait_impl(std::move(v), opts);
}

/// wait({t1, t2}, ...): tasks of different result types, as TaskHandles.
inline DoneAndPending<TaskHandle> wait(std::initializer_list<TaskHandle> fs, WaitOptions opts = {}) {
  return detail::wait_impl(std::vector<TaskHandle>(fs), opts);
}

} // namespace coreio
