// Event: asyncio.Event, a flag tasks can wait for.
//
//     coreio::Event start;
//     auto runner = coreio::create_task([&] { start.wait(); run(); });
//     ...
//     start.set();                       // releases every waiter
//
// Design: an atomic flag for the fast paths (wait() on a set event, set() on
// a set event) and a WaitList of waiters under a SpinLock. set() raises the
// flag and fires every waiter under the lock, so each waiter's wait is over
// at that instant: a clear() that follows before they run does not put them
// back to sleep (asyncio's test_clear_with_waiters).
//
// Thread safety: distinct objects: safe. Shared objects: safe; set()/clear()
// from any thread, waiters may be tasks on any loop or plain OS threads.
//
// Resumes on: set() queues each waiting task on its loop (never runs it on
// the setter's stack) and unparks each waiting thread.
//
// Cancellation: a cancelled wait() raises CancelledError. Nothing is handed
// to an individual waiter, so nothing needs passing on: other waiters are
// released by the same set() regardless.
//
// Throws: wait(): CancelledError; RuntimeError when it would have to wait
// inside a loop callback.
#pragma once

#include <atomic>

#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"

namespace coreio {

namespace detail {
struct SyncProbe;
} // namespace detail

class Event {
public:
  /// A clear event.
  Event() noexcept = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  /// Waits until the event is set; returns true at once if it is set.
  bool wait() {
    // Acquire: pairs with the Release store in set(), so what the setter
    // wrote before set() is visible after wait() returns.
    if (flag_.load(std::memory_order_acquire)) return true;
    return wait_slow();
  }

  /// Sets the flag and releases every waiter. Idempotent.
  void set() noexcept;

  /// Clears the flag: later wait() calls block until the next set().
  void clear() noexcept {
    // Relaxed: clear() orders nothing; waiters test the flag under lock_.
    flag_.store(false, std::memory_order_relaxed);
  }

  /// True if the flag is set.
  [[nodiscard]] bool is_set() const noexcept {
    // Acquire: as in wait(), the setter's writes are visible to a true answer.
    return flag_.load(std::memory_order_acquire);
  }

private:
  friend struct detail::SyncProbe;
  bool wait_slow();

  std::atomic<bool> flag_{false};
  mutable detail::SpinLock lock_;
  detail::WaitList waiters_; ///< guarded by lock_
};

} // namespace coreio
