// Semaphore and BoundedSemaphore: asyncio's counting semaphores for tasks.
//
//     coreio::Semaphore sem(3);          // at most three at a time
//     {
//       std::lock_guard guard(sem);      // acquire() ... release()
//       ...
//     }
//
// Design: a detail::Permits word (permits.hpp) holding the free permits.
// acquire() takes one with a CAS when one is free and nobody waits; otherwise
// it queues. release() with waiters hands its permit straight to the first
// one (FIFO): asyncio's "release() decrements the value on behalf of the
// waiter it wakes". Until that waiter runs it still counts as waiting, as in
// asyncio's `_waiters`: further releases raise the value, locked() stays true
// (asyncio's "value == 0 or a non-cancelled waiter exists") and newcomers
// queue; the woken waiter, when it runs, hands the value on to the waiters
// behind it (test_acquire_fifo_order_4). Newcomers never overtake waiters.
//
// Thread safety: distinct objects: safe. Shared objects: safe; waiters may be
// tasks on any loop or plain OS threads. Not bound to a loop (asyncio binds
// its primitives to the first loop that uses them; coreio's cross loops).
//
// Resumes on: a waiter is woken by the release() that hands it a permit: a
// task is queued on its loop, never run on the releasing thread's stack; a
// plain thread is unparked.
//
// Cancellation: a waiter cancelled before it is handed a permit raises
// CancelledError and took nothing. One cancelled after it was handed a permit
// (but before it ran) gives the permit to the next waiter, or back to the
// count, then raises: no permit is ever lost or duplicated (python/cpython
// gh-90155, test_acquire_hang, test_acquire_cancel_before_awoken).
//
// Throws: the constructors throw ValueError for a negative value.
// acquire(): CancelledError; RuntimeError when it would have to wait inside
// a loop callback. BoundedSemaphore::release() above the initial value:
// ValueError("BoundedSemaphore released too many times").
#pragma once

#include <cstdint>

#include "coreio/sync/detail/permits.hpp"

namespace coreio {

namespace detail {
struct SyncProbe;
} // namespace detail

class Semaphore {
public:
  /// A semaphore with `value` free permits (asyncio's default 1).
  /// Throws ValueError if value < 0.
  explicit Semaphore(std::int64_t value = 1);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  /// asyncio's `await sem.acquire()`: takes a permit, waiting (FIFO) while
  /// none is free or others wait. Returns true.
  bool acquire() {
    permits_.acquire();
    return true;
  }

  /// Gives a permit back, handing it to the first waiter if there is one.
  /// Throws ValueError on a BoundedSemaphore released above its initial value.
  void release() {
    if (!permits_.release(bound_)) throw_released_too_often();
  }

  /// True if acquire() would have to wait: no free permit, or a waiter ahead
  /// (asyncio: "value == 0 or a non-cancelled waiter exists"), including one
  /// that was handed a permit and has not run yet.
  [[nodiscard]] bool locked() const noexcept { return permits_.blocked(); }

  /// Takes a permit only if one is free and nobody waits. Never suspends.
  [[nodiscard]] bool try_acquire() noexcept { return permits_.try_acquire(); }

  /// BasicLockable / Lockable, for std::lock_guard and friends.
  void lock() { permits_.acquire(); }
  void unlock() { release(); }
  [[nodiscard]] bool try_lock() noexcept { return permits_.try_acquire(); }

protected:
  /// A semaphore whose release() fails above `bound` permits.
  Semaphore(std::int64_t value, std::uint64_t bound);

private:
  friend struct detail::SyncProbe;
  [[noreturn]] void throw_released_too_often() const;

  detail::Permits permits_;
  std::uint64_t bound_;
};

/// asyncio.BoundedSemaphore: a Semaphore whose release() raises ValueError
/// instead of raising the value above its initial value.
class BoundedSemaphore : public Semaphore {
public:
  /// Throws ValueError if value < 0.
  explicit BoundedSemaphore(std::int64_t value = 1);
};

} // namespace coreio
