// StateWaiters: tasks waiting for a condition on state guarded by a std::mutex
// (a stream's flush progress, a server's connection count), with an optional
// deadline. The waiter protocol is core's (coreio/detail/waiter.hpp):
//  1. A waiter checks its condition under the mutex; if false it links a
//     Waiter into the list, unlocks and suspends.
//  2. Whoever changes the state, under the same mutex, fires every waiter
//     (notify_all) into a WakeBatch, which wakes them after unlocking.
//  3. A woken waiter relocks and re-checks its condition: wake-ups only say
//     "something changed", so a waiter that is cancelled or times out loses
//     nothing by leaving (no hand-off is ever made to one waiter).
// Deadlines arm an Alarm (coreio/detail/alarm.hpp) that wakes the task.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "coreio/detail/alarm.hpp"
#include "coreio/detail/wake_batch.hpp"
#include "coreio/detail/waiter.hpp"

namespace coreio::detail {

class StateWaiters {
public:
  using clock = std::chrono::steady_clock;

  /// Step 1/3: with `lk` held, suspends until notified or past `deadline`;
  /// returns with `lk` held. False if the deadline passed. Throws
  /// CancelledError (lk held) if the task is cancelled.
  bool wait(std::unique_lock<std::mutex>& lk, clock::time_point deadline = clock::time_point::max()) {
    if (deadline != clock::time_point::max() && clock::now() >= deadline) return false;
    ensure_can_suspend();
    Waiter w;
    w.target = &current_wakeable();
    Alarm alarm;
    if (deadline != clock::time_point::max()) alarm.arm(deadline, *w.target, "a stream or server wait");
    list_.push_back(&w);
    lk.unlock();
    bool cancelled = false;
    bool late = false;
    for (;;) {
      // Acquire: pairs with the Release store in fire().
      if (w.fired.load(std::memory_order_acquire)) break;
      cancelled = cancel_pending();
      late = !cancelled && deadline != clock::time_point::max() && clock::now() >= deadline;
      if (cancelled || late) break;
      suspend_current();
    }
    alarm.cancel();
    lk.lock();
    list_.remove(&w); // no-op if fired (fire() unlinked it)
    if (cancelled) throw_cancelled();
    return !late;
  }

  /// Step 2: under the mutex.
  void notify_all(WakeBatch& out) noexcept { out.fire_all(list_); }

  [[nodiscard]] bool empty() const noexcept { return list_.empty(); }

private:
  WaitList list_;
};

} // namespace coreio::detail
