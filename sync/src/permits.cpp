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
    if ((s & WAITERS) != 0 && waiters_.empty() && pending_ == 0) {
      // A stale bit (rule 3): nobody is ahead of us. Relaxed: under lock_,
      // and the count is re-read by the CAS below.
      s = state_.fetch_and(~WAITERS, std::memory_order_relaxed) & ~WAITERS;
    }
    for (;;) {
      if (s & WAITERS) {
        // Others wait or were handed permits and have not run: queue behind
        // them (rule 2), even if the count is > 0. A throw here changes nothing.
        ensure_can_suspend();
        break;
      }
      if (s >= ONE) {
        // Acquire: as in try_acquire(), pairs with the releaser's Release.
        if (state_.compare_exchange_weak(s, s - ONE, std::memory_order_acquire, std::memory_order_relaxed)) return;
        continue;
      }
      // No permit and no waiter: announce one before linking (rule 1). The
      // CAS from a count of 0 keeps the fast release from adding a permit we
      // would then sleep past. A throw here leaves nothing changed.
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
    settle(false); // handed a permit by release_slow(); the count was never raised
    return;
  case WaitResult::cancelled:
    throw_cancelled(); // unlinked, nothing was given to us
  case WaitResult::fired_and_cancelled:
    // We own a permit we will not use: pass it on, then raise (step 3).
    settle(true);
    throw_cancelled();
  }
}

void Permits::settle(bool give_back) noexcept {
  WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard g(lock_);
  --pending_;
  // Relaxed: WAITERS is set (we were pending), so only lock_ holders change
  // the word (rule 2) and lock_ orders their writes before ours.
  std::uint64_t free = state_.load(std::memory_order_relaxed) / ONE;
  if (give_back) ++free;
  // asyncio's acquire() `finally`: wake as many waiters as the value allows.
  while (free > 0) {
    Waiter* next = waiters_.front();
    if (next == nullptr) break;
    wake.fire(waiters_, next);
    ++pending_;
    --free;
  }
  const std::uint64_t waiters = (!waiters_.empty() || pending_ > 0) ? WAITERS : 0;
  // Release: a returned permit is taken next by a lock-free try_acquire()
  // (Acquire CAS) once WAITERS is clear; this store publishes what its
  // previous holder did. Plain store: no fast path changes a word with
  // WAITERS set (rule 2).
  state_.store(free * ONE | waiters, std::memory_order_release);
}

bool Permits::release_slow(std::uint64_t bound) noexcept {
  WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard g(lock_);
  // Relaxed: under lock_ with WAITERS seen set, only lock_ holders change the
  // word; if a stale bit was cleared meanwhile, the CAS below handles racing
  // fast paths.
  std::uint64_t s = state_.load(std::memory_order_relaxed);
  if (s / ONE >= bound) return false;
  if (Waiter* first = waiters_.front()) {
    // Rule 2: hand our permit to the first waiter; the count stays as it is
    // and WAITERS stays set until that waiter has run (settle()). The hand-off
    // itself is published by fire()'s Release store of `fired`.
    wake.fire(waiters_, first);
    ++pending_;
    return true;
  }
  // No linked waiter: add the permit. Keep WAITERS while a fired waiter has
  // not run (it hands the count on, rule 2); clear a stale one (rule 3).
  const std::uint64_t keep = pending_ > 0 ? WAITERS : 0;
  for (;;) {
    if (s / ONE >= bound) return false;
    // Release: publishes the holder's critical section; pairs with the Acquire
    // CAS in try_acquire() / acquire_slow().
    if (state_.compare_exchange_weak(s, ((s & ~WAITERS) + ONE) | keep, std::memory_order_release,
                                     std::memory_order_relaxed))
      return true;
  }
}

std::size_t Permits::waiter_count() const noexcept {
  std::lock_guard g(lock_);
  return waiters_.size();
}

} // namespace coreio::detail
