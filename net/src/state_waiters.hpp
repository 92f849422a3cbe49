// StateWaiters: tasks waiting for a condition on state guarded by a std::mutex
// (a stream's flush progress, a server's connection count), with an optional
// deadline. The waiter protocol is core's (coreio/detail/waiter.hpp):
//  1. A waiter checks its condition under the mutex; if false it links a
//     Waiter into the list, unlocks and suspends.
//  2. Whoever changes the state, under the same mutex, fires every waiter
//     (notify_all) and wakes them after unlocking (Wakeups::wake_all).
//  3. A woken waiter relocks and re-checks its condition: wake-ups only say
//     "something changed", so a waiter that is cancelled or times out loses
//     nothing by leaving (no hand-off is ever made to one waiter).
// Deadlines arm a call_at timer on the waiting task's loop that wakes it.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "coreio/detail/waiter.hpp"
#include "coreio/exceptions.hpp"
#include "coreio/loop.hpp"
#include "coreio/runtime.hpp"
#include "coreio/task.hpp"

namespace coreio::detail {

/// Targets fired under a lock, woken after it is released.
class Wakeups {
public:
  void add(WakeRef w) { refs_.push_back(std::move(w)); }
  void wake_all() noexcept {
    for (auto& w : refs_) w.wake();
    refs_.clear();
  }
  ~Wakeups() { wake_all(); }

private:
  std::vector<WakeRef> refs_;
};

class StateWaiters {
public:
  using clock = std::chrono::steady_clock;

  /// Step 1/3: with `lk` held, suspends until notified or past `deadline`;
  /// returns with `lk` held. False if the deadline passed. Throws
  /// CancelledError (lk held) if the task is cancelled.
  bool wait(std::unique_lock<std::mutex>& lk, clock::time_point deadline = clock::time_point::max()) {
    if (deadline != clock::time_point::max() && clock::now() >= deadline) return false;
    if (Runtime::current() && !current_task())
      throw RuntimeError("coreio: cannot wait inside a callback running on an event loop; create a task instead");
    Waiter w;
    w.target = &current_wakeable();
    list_.push_back(&w);
    lk.unlock();
    TimerHandle alarm;
    if (deadline != clock::time_point::max())
      alarm = get_running_loop().call_at(deadline, [t = WakeRef(w.target)]() mutable { t.wake(); });
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
  void notify_all(Wakeups& out) {
    while (Waiter* w = list_.front()) out.add(fire(list_, w));
  }

  [[nodiscard]] bool empty() const noexcept { return list_.empty(); }

private:
  WaitList list_;
};

} // namespace coreio::detail
