// Condition: asyncio.Condition, a condition variable for tasks over a Lock.
//
//     coreio::Condition cond;            // or Condition(shared_lock)
//     {
//       std::unique_lock guard(cond);    // Condition is BasicLockable
//       cond.wait_for([&] { return ready; });
//     }
//     ...
//     { std::lock_guard guard(cond); ready = true; cond.notify_all(); }
//
// Design: the Lock (its own, or one shared with other Conditions) plus a FIFO
// WaitList of waiters under a SpinLock. wait() links its Waiter before it
// releases the lock, so a notify() that follows the release cannot be missed;
// notify(n) fires the first n waiters. A waiter then re-acquires the lock
// (FIFO, behind the lock's other waiters) before it returns.
//
// Thread safety: distinct objects: safe. Shared objects: safe; waiters may be
// tasks on any loop or plain OS threads. As in asyncio, wait() and notify()
// require the lock to be held, which is checked as `locked()` (the lock has no
// owner to compare with).
//
// Resumes on: notify() queues each notified task on its loop (never runs it on
// the notifier's stack) and unparks notified threads; the task then waits for
// the lock like any acquirer.
//
// Cancellation (asyncio 3.13 semantics): wait() always re-acquires the lock
// before it returns or raises, even when cancelled, retrying if the
// re-acquisition itself is cancelled, and then raises the most recent
// CancelledError (gh-111693). A waiter that had been notified and raises
// anyway passes its notification to the next waiter, so a notify racing with
// a cancel is never lost (gh-112202). Spurious wake-ups are allowed by the
// contract (use wait_for), though coreio does not produce them.
//
// Throws: wait()/notify()/notify_all() without the lock held: RuntimeError.
// wait(): CancelledError (lock held again); RuntimeError when it would have to
// wait inside a loop callback. release() of an unlocked lock: RuntimeError.
#pragma once

#include <cstddef>

#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"
#include "coreio/sync/lock.hpp"

namespace coreio {

namespace detail {
struct SyncProbe;
} // namespace detail

class Condition {
public:
  /// A condition with its own Lock (asyncio's `Condition()`).
  Condition() noexcept : lock_(&own_lock_) {}
  /// A condition over `lock`, which must outlive it (asyncio's
  /// `Condition(lock)`; several conditions may share one lock).
  explicit Condition(Lock& lock) noexcept : lock_(&lock) {}
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  /// The lock interface, forwarded to the underlying Lock.
  bool acquire() { return lock_->acquire(); }
  void release() { lock_->release(); }
  [[nodiscard]] bool locked() const noexcept { return lock_->locked(); }
  void lock() { lock_->lock(); }
  void unlock() { lock_->unlock(); }
  [[nodiscard]] bool try_lock() noexcept { return lock_->try_lock(); }

  /// Releases the lock, waits until notified, re-acquires the lock. Returns
  /// true. Requires the lock (RuntimeError otherwise).
  bool wait();

  /// Waits until pred() is truthy and returns its value; pred is evaluated
  /// with the lock held, first before any wait. Requires the lock.
  template <class Pred>
  auto wait_for(Pred pred) -> decltype(pred()) {
    auto result = pred();
    while (!result) {
      wait();
      result = pred();
    }
    return result;
  }

  /// Wakes up to n waiters (FIFO). Requires the lock (RuntimeError otherwise).
  void notify(std::size_t n = 1);
  /// Wakes every waiter. Requires the lock (RuntimeError otherwise).
  void notify_all();

private:
  friend struct detail::SyncProbe;
  void notify_unchecked(std::size_t n) noexcept;

  Lock own_lock_;
  Lock* lock_;
  mutable detail::SpinLock waiters_lock_;
  detail::WaitList waiters_; ///< guarded by waiters_lock_
};

} // namespace coreio
