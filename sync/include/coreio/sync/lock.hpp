// Lock: asyncio.Lock, a FIFO-fair mutual exclusion lock for tasks, that is
// also BasicLockable/Lockable so the standard guards use it:
//
//     coreio::Lock lock;
//     {
//       std::lock_guard guard(lock);   // suspends the task while contended
//       ...                            // (std::unique_lock, std::scoped_lock too)
//     }
//
// Design: one permit in a detail::Permits word (permits.hpp). Taking a free
// lock is one CAS, giving it back one CAS; while anyone waits, release()
// hands the lock straight to the first waiter, so a newcomer never overtakes
// a waiter (asyncio's strict FIFO fairness) and a woken waiter never has to
// re-check and re-queue.
//
// Several locks at once: std::scoped_lock(a, b) goes through std::lock's
// try-and-back-off. A FIFO lock with waiters is never free for try_lock() (it
// is handed from owner to waiter), so tasks taking the same locks in
// *different* orders can livelock under contention on one loop: each runs
// holding the lock just handed to it, fails to try the other and backs off,
// handing its lock on, forever. Take several coreio locks in one fixed order
// everywhere; std::lock then never has to back off.
//
// Thread safety: distinct objects: safe. Shared objects: safe; waiters may be
// tasks on any loop or plain OS threads. Like asyncio's Lock (and unlike
// std::mutex) the lock has no owner: any task may release it, and it is not
// reentrant (acquiring it twice from one task deadlocks that task).
// Deviation from asyncio: asyncio binds a lock to the first loop that uses it
// (RuntimeError from another loop); coreio's primitives work across loops.
//
// Resumes on: a waiter is woken by the release() that hands it the lock: a
// task is queued on its loop (posted to its home loop if pinned) and never
// runs on the releasing thread's stack; a plain thread is unparked.
//
// Cancellation: a task cancelled while waiting raises CancelledError and does
// not hold the lock. If it was handed the lock and cancelled before it ran, it
// passes the lock to the next waiter first (bpo-27585), so no hand-off is lost
// and no two tasks hold the lock (bpo-32734). Taking a free lock does not
// suspend, so it does not deliver a pending cancellation (as in asyncio).
//
// Throws: release()/unlock() of an unlocked lock: RuntimeError. acquire()/
// lock(): CancelledError; RuntimeError when it would have to wait inside a
// loop callback (waiting there would block the loop).
#pragma once

#include "coreio/sync/detail/permits.hpp"

namespace coreio {

namespace detail {
struct SyncProbe;
[[noreturn]] void throw_lock_not_acquired();
} // namespace detail

class Lock {
public:
  /// An unlocked lock.
  Lock() noexcept = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  /// asyncio's `await lock.acquire()`: takes the lock, waiting (FIFO) while
  /// it is held. Returns true.
  bool acquire() {
    permits_.acquire();
    return true;
  }

  /// Releases the lock, handing it to the first waiter if there is one.
  /// Throws RuntimeError if the lock is not locked.
  void release() {
    if (!permits_.release(1)) detail::throw_lock_not_acquired();
  }

  /// True while some task or thread holds the lock (or was just handed it).
  [[nodiscard]] bool locked() const noexcept { return permits_.value() == 0; }

  /// Takes the lock only if it is free and nobody waits. Never suspends.
  [[nodiscard]] bool try_acquire() noexcept { return permits_.try_acquire(); }

  /// BasicLockable / Lockable (std::lock_guard, std::unique_lock, std::scoped_lock).
  void lock() { permits_.acquire(); }
  void unlock() { release(); }
  [[nodiscard]] bool try_lock() noexcept { return permits_.try_acquire(); }

private:
  friend struct detail::SyncProbe;
  detail::Permits permits_{1};
};

} // namespace coreio
