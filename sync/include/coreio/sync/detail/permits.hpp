// Permits: the FIFO counting core shared by Lock, Semaphore and
// BoundedSemaphore (a Lock is one permit).
//
// # State
// `state_` is one atomic word: bit 0 is WAITERS, the bits above count the
// free permits (the count is state_ >> 1, asyncio's `_value`). `pending_`
// (under `lock_`) counts waiters that were handed a permit but have not run
// yet: asyncio keeps those in `_waiters` until they run. Rules:
//  1. WAITERS is set only under `lock_`, by an acquirer that found no free
//     permit and is about to link itself into `waiters_`. It stays set while
//     `waiters_` is non-empty or `pending_` > 0.
//  2. While WAITERS is set the word changes only under `lock_` (the lock-free
//     fast paths below CAS from a word without WAITERS). A release with a
//     linked waiter hands its permit directly to the first one (FIFO) and the
//     count does not change; a release with only pending waiters adds to the
//     count, and the first pending waiter to run hands those permits to the
//     waiters linked behind it (asyncio's "wake as many as the value allows"
//     in acquire()'s `finally`). Newcomers see WAITERS and queue, so they can
//     never overtake a waiter, even one that was handed the permit but has
//     not run yet: this is asyncio's strict FIFO fairness (Lock) and its
//     `locked()` rule (Semaphore: "value == 0 or a non-cancelled waiter
//     exists", test_acquire_fifo_order_4).
//  3. WAITERS is cleared under `lock_` when neither linked nor pending waiters
//     are left. It may stay set with an empty list after the last waiter was
//     cancelled (wait_until_fired unlinks it without touching this word); the
//     count is 0 then (a count > 0 with waiters linked implies a pending
//     waiter, which redistributes it when it runs), so the stale bit only
//     sends the next acquire or release down the slow path, which clears it.
//
// # Fast paths (no lock)
// try_acquire(): CAS count-1 when WAITERS is clear and count > 0.
// release():     CAS count+1 when WAITERS is clear (and count < bound).
// Uncontended, a Lock costs one CAS to take and one to give back.
//
// # Slow paths (permits.cpp), the Waiter protocol of coreio/detail/waiter.hpp
//  1. acquire_slow: under `lock_`, re-check; still no permit (or others wait):
//     set WAITERS with a CAS from a word without free permits, link a Waiter,
//     unlock, wait_until_fired().
//  2. release_slow: under `lock_`, fire the first waiter: it now owns the
//     permit and is pending. Woken after unlocking. No linked waiter: the
//     count grows.
//  3. A fired waiter that runs settles under `lock_`: it is no longer pending,
//     hands any free permits to the waiters behind it and clears WAITERS if
//     nobody is left. A waiter cancelled before being fired is unlinked and
//     loses nothing. One fired and then cancelled before it ran owns a permit
//     it will not use: it settles giving that permit back (to the next waiter
//     or the count) and then raises CancelledError. So a cancellation can
//     neither lose the wake-up (bpo-27585, test_finished_waiter_cancelled) nor
//     hand out two permits for one (bpo-32734, test_cancel_release_race): a
//     permit has exactly one owner at every instant.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"

namespace coreio::detail {

class Permits {
public:
  /// Bit 0 of the state word: someone is (or was, see rule 3) waiting.
  static constexpr std::uint64_t WAITERS = 1;
  /// One free permit in the state word.
  static constexpr std::uint64_t ONE = 2;
  /// The largest count the word can hold; the bound of an unbounded Semaphore.
  static constexpr std::uint64_t max_permits = ~std::uint64_t{0} >> 1;

  explicit Permits(std::uint64_t initial) noexcept : state_(initial * ONE) {}
  Permits(const Permits&) = delete;
  Permits& operator=(const Permits&) = delete;

  /// Takes a free permit if there is one and nobody waits. Never suspends.
  [[nodiscard]] bool try_acquire() noexcept {
    // Relaxed: only the starting guess for the CAS, which carries the ordering.
    std::uint64_t s = state_.load(std::memory_order_relaxed);
    while ((s & WAITERS) == 0 && s >= ONE) {
      // Acquire: the previous holder's writes, published by the Release CAS
      // in release()/release_slow(), are visible to the new holder.
      if (state_.compare_exchange_weak(s, s - ONE, std::memory_order_acquire, std::memory_order_relaxed)) return true;
    }
    return false;
  }

  /// Takes a permit, waiting in FIFO order if none is free.
  /// Throws CancelledError (nothing taken) or RuntimeError (cannot wait here).
  void acquire() {
    if (!try_acquire()) acquire_slow();
  }

  /// Gives a permit back, or hands it to the first waiter. Returns false, and
  /// changes nothing, if the count is already `bound` (over-release).
  [[nodiscard]] bool release(std::uint64_t bound) noexcept {
    // Relaxed: the starting guess for the CAS.
    std::uint64_t s = state_.load(std::memory_order_relaxed);
    for (;;) {
      if (s & WAITERS) return release_slow(bound);
      if (s / ONE >= bound) return false;
      // Release: publishes the holder's critical section to the next holder;
      // pairs with the Acquire CAS in try_acquire().
      if (state_.compare_exchange_weak(s, s + ONE, std::memory_order_release, std::memory_order_relaxed)) return true;
    }
  }

  /// True if acquire() would have to wait: no free permit, or waiters (linked
  /// or handed a permit and not yet run) ahead of a newcomer. A snapshot.
  [[nodiscard]] bool blocked() const noexcept {
    // Relaxed: a point-in-time query that orders nothing.
    const std::uint64_t s = state_.load(std::memory_order_relaxed);
    return (s & WAITERS) != 0 || s < ONE;
  }

  /// Free permits now (asyncio's `_value`; permits handed to waiters that
  /// have not run yet are theirs, not counted). A snapshot.
  [[nodiscard]] std::uint64_t value() const noexcept {
    // Relaxed: a point-in-time query that orders nothing.
    return state_.load(std::memory_order_relaxed) / ONE;
  }

  /// Number of linked waiters (tests and diagnostics).
  [[nodiscard]] std::size_t waiter_count() const noexcept;

private:
  void acquire_slow();
  bool release_slow(std::uint64_t bound) noexcept;
  /// Slow-path step 3 for a fired waiter, once it runs; `give_back`: it was
  /// cancelled and returns its permit.
  void settle(bool give_back) noexcept;

  std::atomic<std::uint64_t> state_;
  mutable SpinLock lock_;
  WaitList waiters_; ///< guarded by lock_
  std::uint64_t pending_ = 0; ///< guarded by lock_: fired waiters not yet run
};

} // namespace coreio::detail
