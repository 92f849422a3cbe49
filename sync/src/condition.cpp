// Condition: wait (with asyncio 3.13's cancellation rules) and notify.
//
// wait() in numbered steps:
//  1. Check the lock is held; link a Waiter (under waiters_lock_) while still
//     holding it, so no notify() after the release can be missed.
//  2. Release the lock and wait_until_fired().
//  3. Whatever happened, re-acquire the lock. A CancelledError raised while
//     re-acquiring is remembered and the acquire retried (the most recent one
//     wins, gh-111693); a cancellation that ended the wait in step 2 is taken
//     (consumed) first, so the re-acquire is not itself cut short by it.
//  4. If we raise although we were notified (fired_and_cancelled, or fired and
//     then cancelled while re-acquiring), pass one notification on (gh-112202).
#include "coreio/sync/condition.hpp"

#include <mutex>
#include <optional>
#include <utility>

#include "coreio/exceptions.hpp"
#include "coreio/detail/wake_batch.hpp"

namespace coreio {

bool Condition::wait() {
  if (!lock_->locked()) throw RuntimeError("cannot wait on un-acquired lock");
  detail::ensure_can_suspend();
  detail::Waiter w;
  w.target = &detail::current_wakeable();
  {
    std::lock_guard g(waiters_lock_);
    waiters_.push_back(&w);
  }
  try {
    lock_->release();
  } catch (...) {
    // Someone else released the (ownerless) lock in between: undo step 1.
    std::lock_guard g(waiters_lock_);
    waiters_.remove(&w);
    throw;
  }
  const detail::WaitResult r = detail::wait_until_fired(w, waiters_lock_, waiters_);
  std::optional<CancelledError> cancelled;
  if (r != detail::WaitResult::fired) {
    try {
      detail::throw_cancelled(); // consume the pending cancellation (step 3)
    } catch (CancelledError& e) {
      cancelled = std::move(e);
    }
  }
  for (;;) {
    try {
      lock_->acquire();
      break;
    } catch (CancelledError& e) {
      cancelled = std::move(e); // keep the most recent one and retry
    }
  }
  if (cancelled) {
    if (r != detail::WaitResult::cancelled) notify_unchecked(1); // step 4
    throw std::move(*cancelled);
  }
  return true;
}

void Condition::notify(std::size_t n) {
  if (!lock_->locked()) throw RuntimeError("cannot notify on un-acquired lock");
  notify_unchecked(n);
}

void Condition::notify_all() {
  if (!lock_->locked()) throw RuntimeError("cannot notify on un-acquired lock");
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard g(waiters_lock_);
  wake.fire_all(waiters_);
}

void Condition::notify_unchecked(std::size_t n) noexcept {
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard g(waiters_lock_);
  for (std::size_t i = 0; i < n; ++i) {
    detail::Waiter* w = waiters_.front();
    if (!w) break;
    wake.fire(waiters_, w);
  }
}

} // namespace coreio
