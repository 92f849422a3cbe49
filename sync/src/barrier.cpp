// Barrier: asyncio's state machine (barrier.hpp) under one SpinLock.
//
// wait() in asyncio's steps, with the lock held except while waiting:
//  1. _block: wait while draining or resetting; broken raises.
//  2. Count ourselves in; index = count before us.
//  3. The last arrival switches to draining and wakes everyone. The others
//     wait while filling, then raise if it is resetting or broken.
//  4. _exit (also on any error or cancellation after step 2): count ourselves
//     out; the last one out of a draining/resetting barrier switches it back
//     to filling and wakes the arrivals blocked in step 1.
#include "coreio/sync/barrier.hpp"

#include "coreio/exceptions.hpp"
#include "coreio/detail/wake_batch.hpp"
#include "coreio/sync/exceptions.hpp"

namespace coreio {

namespace {
std::size_t checked_parties(std::int64_t parties) {
  if (parties < 1) throw ValueError("parties must be > 0");
  return static_cast<std::size_t>(parties);
}
} // namespace

Barrier::Barrier(std::int64_t parties) : parties_(checked_parties(parties)) {}

bool Barrier::await_change(std::unique_lock<detail::SpinLock>& guard) {
  detail::Waiter w;
  w.target = &detail::current_wakeable();
  waiters_.push_back(&w);
  guard.unlock();
  const detail::WaitResult r = detail::wait_until_fired(w, lock_, waiters_);
  guard.lock();
  // A broadcast hands this waiter nothing of its own: fired_and_cancelled is
  // just cancelled.
  return r == detail::WaitResult::fired;
}

std::size_t Barrier::wait() {
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::unique_lock guard(lock_);
  // Only the arrival that fills an open barrier completes without waiting.
  if (!(state_ == State::filling && count_ + 1 == parties_)) detail::ensure_can_suspend();

  // Step 1.
  while (state_ == State::draining || state_ == State::resetting) {
    if (!await_change(guard)) {
      guard.unlock();
      detail::throw_cancelled();
    }
  }
  if (state_ == State::broken) throw BrokenBarrierError("Barrier aborted");

  // Step 2.
  const std::size_t index = count_++;
  if (index + 1 == parties_) {
    // Step 3, the filling arrival.
    state_ = State::draining;
    wake.fire_all(waiters_);
  } else {
    // Step 3, everyone else.
    while (state_ == State::filling) {
      if (!await_change(guard)) {
        --count_;
        leave_locked(wake);
        guard.unlock();
        detail::throw_cancelled();
      }
    }
    if (state_ == State::broken || state_ == State::resetting) {
      --count_;
      leave_locked(wake);
      throw BrokenBarrierError("Abort or reset of barrier");
    }
  }
  // Step 4.
  --count_;
  leave_locked(wake);
  return index;
}

void Barrier::leave_locked(detail::WakeBatch& wake) noexcept {
  if (count_ != 0) return;
  if (state_ == State::resetting || state_ == State::draining) state_ = State::filling;
  wake.fire_all(waiters_);
}

void Barrier::reset() noexcept {
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard guard(lock_);
  state_ = count_ > 0 ? State::resetting : State::filling;
  wake.fire_all(waiters_);
}

void Barrier::abort() noexcept {
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard guard(lock_);
  state_ = State::broken;
  wake.fire_all(waiters_);
}

std::size_t Barrier::n_waiting() const noexcept {
  std::lock_guard guard(lock_);
  return state_ == State::filling ? count_ : 0;
}

bool Barrier::broken() const noexcept {
  std::lock_guard guard(lock_);
  return state_ == State::broken;
}

} // namespace coreio
