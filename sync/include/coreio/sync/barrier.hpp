// Barrier: asyncio.Barrier (3.11), a rendezvous for a fixed number of tasks.
//
//     coreio::Barrier barrier(3);
//     // in each of three tasks:
//     std::size_t index = barrier.wait();   // 0, 1, 2 in arrival order
//
// Design: asyncio's state machine, under one SpinLock instead of a Condition:
//   filling  --(the parties-th arrival)-->  draining  --(last one out)--> filling
//   filling/draining --reset()--> resetting --(last one out)--> filling
//   any --abort()--> broken (final until reset())
// `count_` counts the tasks inside wait(). Arrivals block while the barrier
// is draining or resetting. The arrival that fills the barrier switches it to
// draining and wakes everyone; each waiter then re-checks the state when it
// runs, exactly as asyncio's waiters do after notify_all(): one still inside
// when reset() or abort() comes raises BrokenBarrierError
// (test_reset_barrier_while_tasks_draining). One shared FIFO WaitList holds
// both kinds of waiters; every state change fires all of them and each
// re-checks its own condition (a broadcast, as asyncio's notify_all()).
//
// Indices: as in asyncio, a task's index is the number of tasks inside wait()
// when it arrived, so after a cancelled waiter leaves, a later arrival can get
// the same index as a task still inside.
//
// Thread safety: distinct objects: safe. Shared objects: safe; waiters may be
// tasks on any loop or plain OS threads.
//
// Resumes on: the call that changes the state (the filling wait(), the last
// one out, reset(), abort()) queues each waiting task on its loop; it never
// runs on that caller's stack. Plain threads are unparked.
//
// Cancellation: a cancelled waiter raises CancelledError and leaves the count
// (test_filling_tasks_cancel_one): the barrier then waits for one more
// arrival. Wake-ups are broadcasts, so there is nothing to pass on.
//
// Throws: the constructor: ValueError if parties < 1. wait(): BrokenBarrierError
// if the barrier is broken, or is reset or aborted while the caller is inside;
// CancelledError; RuntimeError when it would have to wait inside a loop
// callback. reset() and abort() never wait (asyncio's are coroutines only
// because they take the Condition's lock) and never throw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"

namespace coreio {

namespace detail {
struct SyncProbe;
class WakeBatch;
} // namespace detail

class Barrier {
public:
  /// A barrier for `parties` tasks. Throws ValueError if parties < 1.
  explicit Barrier(std::int64_t parties);
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  /// Waits until `parties` tasks are inside wait(), then releases them all.
  /// Returns this caller's arrival index, 0 .. parties-1.
  std::size_t wait();

  /// Returns the barrier to the empty, filling state; tasks inside wait() get
  /// BrokenBarrierError. Never suspends.
  void reset() noexcept;

  /// Breaks the barrier: current and future wait() calls raise
  /// BrokenBarrierError until reset(). Never suspends.
  void abort() noexcept;

  /// The number of tasks needed to pass the barrier.
  [[nodiscard]] std::size_t parties() const noexcept { return parties_; }
  /// Tasks waiting for the barrier to fill (0 unless it is filling).
  [[nodiscard]] std::size_t n_waiting() const noexcept;
  /// True after abort() (until reset()).
  [[nodiscard]] bool broken() const noexcept;

private:
  friend struct detail::SyncProbe;
  enum class State : std::uint8_t { filling, draining, resetting, broken };

  /// Links a Waiter, unlocks, waits for the next broadcast, relocks.
  /// Returns false if the wait was cancelled (the cancellation still pending).
  bool await_change(std::unique_lock<detail::SpinLock>& guard);
  /// asyncio's _exit(): the last task out ends draining/resetting.
  void leave_locked(detail::WakeBatch& wake) noexcept;

  const std::size_t parties_;
  mutable detail::SpinLock lock_;
  detail::WaitList waiters_; ///< guarded by lock_
  State state_ = State::filling; ///< guarded by lock_
  std::size_t count_ = 0;        ///< tasks inside wait(); guarded by lock_
};

} // namespace coreio
