// Notify: Tokio's sync::Notify, a wake-up without data. Beyond asyncio.
//
//     coreio::Notify ready;
//     consumer:  ready.notified();     // waits for a notification
//     producer:  ready.notify_one();   // wakes one waiter, or stores a permit
//                ready.notify_waiters(); // wakes every current waiter
//
// Semantics (Tokio's): notify_one() wakes the first waiter (FIFO); with
// nobody waiting it stores ONE permit (several calls still store one), which
// the next notified() consumes without waiting. notify_waiters() wakes every
// task waiting at that instant and stores nothing: a notified() that starts
// after it waits for the next notification.
//
// Design: a FIFO WaitList and the permit flag under one SpinLock, on core's
// Waiter protocol (coreio/detail/waiter.hpp). A waiter's Waiter::data says
// which call fired it (notify_one hands it the one permit; notify_waiters is
// a broadcast), so a waiter fired by notify_one and then cancelled before it
// ran can pass the permit on: to the next waiter, or stored (protocol step 4,
// FiredAndCancelled). The notification is never lost (Tokio #4618, #3660).
//
// Thread safety: distinct objects: safe. Shared objects: safe. notify_one()
// and notify_waiters() may be called from any thread (a task on any loop, a
// loop callback, a plain OS thread); notified() from a task on any loop or a
// plain OS thread (which then blocks).
//
// Resumes on: the notify call queues a woken task on its loop (never running
// it on the notifier's stack) and unparks a waiting thread.
//
// Cancellation: a cancelled notified() raises CancelledError. If notify_one()
// had already chosen it, the permit goes to the next waiter (or is stored)
// first. One woken by notify_waiters() has nothing to pass on.
//
// Throws: notified(): CancelledError; RuntimeError when it would have to wait
// inside a loop callback. notify_one() and notify_waiters() never throw.
#pragma once

#include <cstddef>

#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"

namespace coreio {

namespace detail {
struct SyncProbe;
} // namespace detail

class Notify {
public:
  /// No permit stored, nobody waiting.
  Notify() noexcept = default;
  Notify(const Notify&) = delete;
  Notify& operator=(const Notify&) = delete;

  /// Waits for a notification; consumes a stored permit at once if there is
  /// one (then it does not suspend).
  void notified();

  /// Consumes a stored permit if there is one. Never waits. Returns true if
  /// it took one.
  [[nodiscard]] bool try_notified() noexcept;

  /// Wakes the first waiter, or stores a permit if nobody waits.
  void notify_one() noexcept;

  /// Wakes every current waiter; stores no permit.
  void notify_waiters() noexcept;

private:
  friend struct detail::SyncProbe;
  /// Waiter::data: which call fired the waiter.
  static constexpr std::uintptr_t by_notify_one = 1;
  static constexpr std::uintptr_t by_notify_waiters = 2;

  mutable detail::SpinLock lock_;
  detail::WaitList waiters_; ///< guarded by lock_
  bool permit_ = false; ///< guarded by lock_
};

} // namespace coreio
