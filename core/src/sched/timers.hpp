// TimerQueue: a loop's timers (call_later / call_at, sleep, every Alarm).
//
// A binary min-heap of timer handles on (when, ticket), owned by the loop
// thread; timers set from other threads arrive through the inbox. Due timers
// join the ready FIFO behind what is already ready (asyncio). A cancelled
// timer stays in the heap until it reaches the top or the heap is compacted
// (asyncio's rule: rebuild when there are more than 100 timers and over half
// are cancelled); cancel() on any thread only counts it (note_cancelled()).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "coreio/detail/handle_state.hpp"
#include "coreio/detail/ref.hpp"

namespace coreio::detail {

class ReadyQueue;

class TimerQueue {
public:
  using clock = std::chrono::steady_clock;

  /// Loop thread: takes over the queue's reference to `h` (taken by post()).
  void add(HandleState* h);
  /// Loop thread: moves every due timer to `ready`; returns how many.
  std::uint64_t fire_due(ReadyQueue& ready);
  /// Loop thread, before parking: the earliest live deadline, or
  /// time_point::max(). Drops cancelled timers at the top of the heap so
  /// they do not wake the loop.
  [[nodiscard]] clock::time_point next_deadline();
  /// Any thread: a timer of this queue was cancelled.
  void note_cancelled() noexcept { cancelled_.fetch_add(1, std::memory_order_relaxed); }
  /// Loop thread, at teardown: releases every timer (their captures die on this thread).
  void clear() noexcept { heap_.clear(); }

private:
  void compact();

  std::vector<Ref<HandleState>> heap_;
  std::uint64_t ticket_ = 0; ///< ties on `when` fire in the order they were set
  std::atomic<std::size_t> cancelled_{0};
};

} // namespace coreio::detail
