// Permits: the slow (waiting and hand-off) paths. See permits.hpp for the
// state word's rules, which the comments below cite.
#include "coreio/sync/detail/permits.hpp"

#include <mutex>

#include "coreio/detail/wake_batch.hpp"

namespace coreio::detail {

void Permits::acquire_slow() {
  Waiter w;
  {
    std::lock_guard g(lock_);
    // Relaxed: the CAS below orders what matters.
    std::uint64_t s = state_.load(std::memory_order_relaxed);
    for (;;) {
      if (s & WAITERS) {
        // Others wait: queue behind them (rule 2). A throw here changes nothing.
        ensure_can_suspend();
        break;
      }
      if (s >= ONE) {
        // Acquire: as in try_acquire(), pairs with the releaser's Release.
        if (state_.compare_exchange_weak(s, s - ONE, std::memory_order_acquire, std::memory_order_relaxed)) return;
        continue;
      }
      // No permit and no waiter: announce one before linking (rule 1). The
      // CAS from a count of 0 keeps rule 2 even against a racing fast release.
      // A throw here leaves nothing changed (the guard unlocks).
      ensure_can_suspend();
      // Relaxed: a releaser that sees the bit takes lock_ (Acquire) before
      // touching the list, so it sees our link through the lock.
      if (state_.compare_exchange_weak(s, s | WAITERS, std::memory_order_relaxed, std::memory_order_relaxed)) break;
    }
    w.target = &current_wakeable();
    waiters_.push_back(&w);
  }
  switch (wait_until_fired(w, lock_, waiters_)) {
  case WaitResult::fired:
    return; // handed a permit by release_slow(); the count was never raised
  case WaitResult::cancelled:
    throw_cancelled(); // unlinked, nothing was given to us
  case WaitResult::fired_and_cancelled:
    // We own a permit we will not use: pass it on, then raise (step 3).
    (void)release(max_permits);
    throw_cancelled();
  }
}

bool Permits::release_slow(std::uint64_t bound) noexcept {
  WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard g(lock_);
  // Relaxed: under lock_, WAITERS cannot change; the count may still grow by
  // racing fast releases only while WAITERS is clear, which the CAS handles.
  std::uint64_t s = state_.load(std::memory_order_relaxed);
  if (s / ONE >= bound) return false;
  if (Waiter* first = waiters_.front()) {
    // Rule 2: hand our permit to the first waiter; the count stays 0.
    wake.fire(waiters_, first);
    // Relaxed: only the WAITERS bit changes; the hand-off itself is published
    // by fire()'s Release store of `fired`.
    if (waiters_.empty()) state_.fetch_and(~WAITERS, std::memory_order_relaxed);
    return true;
  }
  // Nobody left (rule 3): clear a stale WAITERS and add the permit.
  for (;;) {
    if (s / ONE >= bound) return false;
    // Release: publishes the holder's critical section; pairs with the Acquire
    // CAS in try_acquire() / acquire_slow().
    if (state_.compare_exchange_weak(s, (s & ~WAITERS) + ONE, std::memory_order_release, std::memory_order_relaxed))
      return true;
  }
}

std::size_t Permits::waiter_count() const noexcept {
  std::lock_guard g(lock_);
  return waiters_.size();
}

} // namespace coreio::detail
