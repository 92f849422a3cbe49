// as_completed: asyncio.as_completed, iterate over futures as they complete.
//
//   for (auto& t : coreio::as_completed(tasks, {.timeout = 1s})) use(t.result());
//   auto it = coreio::as_completed(tasks);
//   while (auto t = it.next()) use(t->get());
//
// Takes a range of Tasks, Futures or callables (callables become tasks, as
// asyncio wraps coroutines), deduplicated. Iteration yields the original
// Task/Future objects (the tasks made from callables), each already done, in
// completion order: asyncio 3.13's `async for`. Call result() on each to get
// its value or exception (asyncio's plain `for` yields awaitables that do
// exactly that). An AsCompleted can be resumed after a `break`.
//
// Thread safety: the futures may complete on any loop; one AsCompleted is
// meant for one consumer task at a time (several may call next() safely; each
// future is handed to exactly one of them).
// Resumes on: a consumer blocked in next() is woken by the done callback of
// the next future, which runs on the loop that created the AsCompleted.
// Cancellation: cancelling a consumer blocked in next() raises CancelledError
// there; no future is consumed or cancelled, and the next call to next()
// returns the future it would have returned.
// Throws: next() throws TimeoutError once the timeout has passed, once for
// each future not yet returned; those futures are not cancelled. RuntimeError
// if a timeout is given outside a runtime thread (the timer needs a loop).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <optional>
#include <ranges>
#include <span>
#include <utility>
#include <vector>

#include "coreio/detail/awaitable.hpp"
#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"
#include "coreio/handle.hpp"

namespace coreio {

struct AsCompletedOptions {
  /// Deadline for the whole iteration, from the call to as_completed();
  /// nullopt (the default) waits as long as needed.
  std::optional<std::chrono::nanoseconds> timeout = std::nullopt;
};

namespace detail {

/// The non-template machinery (as_completed.cpp): asyncio's _AsCompletedIterator
/// minus the futures themselves, which AsCompleted<Fut> keeps.
class AsCompletedState final : public RefCounted {
public:
  explicit AsCompletedState(std::span<FutureStateBase* const> fs);
  /// Registers the done callbacks and the timer (needs a Ref to this).
  void start(std::optional<std::chrono::nanoseconds> timeout);
  /// Blocks until the next future is done and returns its index, or nullopt
  /// when every future was returned. Throws TimeoutError or CancelledError.
  std::optional<std::size_t> next();
  /// How many futures next() has yet to return (or time out on).
  [[nodiscard]] std::size_t remaining() const noexcept;
  /// The AsCompleted is going away: cancels the timer, removes the callbacks
  /// (the futures must still be alive).
  void close() noexcept;

private:
  void on_done(std::size_t i);
  void on_timeout();

  mutable SpinLock mu_; ///< guards everything below
  /// The futures, by index; valid until close() (the AsCompleted owns them).
  std::vector<FutureStateBase*> futs_;
  std::vector<std::uint64_t> ids_;    ///< done-callback ids, for close()/on_timeout()
  std::vector<bool> pending_;         ///< not yet done (nor given up at the deadline)
  std::size_t pending_count_;         ///< how many pending_ entries are true
  std::size_t left_;                  ///< results next() has yet to hand out
  std::deque<std::size_t> done_;      ///< indices in completion order; timed_out = sentinel
  WaitList waiters_;                  ///< consumers blocked in next()
  TimerHandle timer_;
  bool closed_ = false;
};

} // namespace detail

/// The iterator as_completed() returns (asyncio's _AsCompletedIterator).
template <class Fut>
class AsCompleted {
public:
  AsCompleted(std::vector<Fut> futs, const AsCompletedOptions& opts) : futs_(std::move(futs)) {
    std::vector<detail::FutureStateBase*> states;
    states.reserve(futs_.size());
    for (const auto& f : futs_) states.push_back(detail::Access::state_ref(f).get());
    state_ = detail::Ref<detail::AsCompletedState>::adopt(new detail::AsCompletedState(states));
    state_->start(opts.timeout);
  }
  AsCompleted(AsCompleted&&) noexcept = default;
  AsCompleted& operator=(AsCompleted&& o) noexcept {
    close();
    futs_ = std::move(o.futs_);
    state_ = std::move(o.state_);
    return *this;
  }
  ~AsCompleted() { close(); }

  /// Blocks until the next future is done and returns it; nullopt when every
  /// future was returned. Throws TimeoutError after the deadline.
  std::optional<Fut> next() {
    if (!state_) return std::nullopt;
    std::optional<std::size_t> i = state_->next();
    if (!i) return std::nullopt;
    return futs_[*i];
  }
  /// How many futures are left to return (or to time out on).
  [[nodiscard]] std::size_t remaining() const noexcept { return state_ ? state_->remaining() : 0; }

  /// Input iterator over the futures in completion order; dereferencing
  /// blocks until the next one is done.
  class iterator {
  public:
    using value_type = Fut;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(AsCompleted* owner) : owner_(owner) {}
    Fut& operator*() const {
      if (!current_) current_ = owner_->next();
      return *current_;
    }
    iterator& operator++() {
      if (!current_) (void)**this;
      current_.reset();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
      return !it.current_ && it.owner_->remaining() == 0;
    }

  private:
    AsCompleted* owner_ = nullptr;
    mutable std::optional<Fut> current_;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const noexcept { return {}; }

private:
  void close() noexcept {
    if (state_) state_->close();
    state_.reset();
  }

  std::vector<Fut> futs_;
  detail::Ref<detail::AsCompletedState> state_;
};

/// asyncio.as_completed(aws, timeout=).
template <std::ranges::input_range R>
  requires detail::Awaitable<std::ranges::range_reference_t<R>>
auto as_completed(R&& aws, AsCompletedOptions opts = {}) {
  using Fut = detail::future_of_t<std::ranges::range_reference_t<R>>;
  std::vector<Fut> all;
  for (auto&& x : aws) all.push_back(detail::to_future(std::forward<decltype(x)>(x)));
  std::vector<detail::FutureStateBase*> states;
  states.reserve(all.size());
  for (const auto& f : all) states.push_back(detail::Access::state_ref(f).get());
  const std::vector<bool> first = detail::first_occurrences(states);
  std::vector<Fut> unique;
  unique.reserve(all.size());
  for (std::size_t i = 0; i < all.size(); ++i)
    if (first[i]) unique.push_back(std::move(all[i]));
  return AsCompleted<Fut>(std::move(unique), opts);
}

} // namespace coreio
