// RunQueue<T, Capacity>: a loop's local run queue of runnable tasks.
//
// Bounded single-producer, multi-consumer ring (the Tokio local-queue shape):
// the owning loop pushes at `tail_` and pops at `head_`; other loops steal
// half of it from `head_`. Capacity is a template parameter so tests can run
// it with 4 slots to drive wrap-around and steal-during-overflow.
//
// Algorithm:
//  1. push (owner): if tail - head < Capacity, store the slot (relaxed) and
//     publish it with a Release store of tail_.
//  2. pop (owner) and steal (any loop) both claim from head_ with a CAS, after
//     reading the slots they claim. A claimant whose CAS fails read nothing it
//     keeps. A claimant whose CAS succeeds read slots [h, h+n) that could not
//     have been overwritten: the owner only writes slot t when t - head <
//     Capacity, i.e. after head_ passed the slot, which would have failed the CAS.
//     head_ is a monotonically increasing 64-bit counter, so there is no ABA.
//  3. Slots are atomics (relaxed) because a claimant may read a slot while the
//     owner rewrites it in the losing case of step 2; such reads are discarded.
//  4. Each slot also has a tag (the owner's ready-order ticket), written and
//     read by the owner only, so the owner can order the ring's head against
//     its other queue without touching the head task itself: a thief may have
//     stolen that task, run it and freed it meanwhile (TSan caught the old
//     read of the task's own ticket).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace coreio::detail {

template <class T, std::size_t Capacity>
class RunQueue {
  static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0, "Capacity must be a power of two");
  static constexpr std::uint64_t mask = Capacity - 1;

public:
  static constexpr std::size_t capacity = Capacity;

  /// Owner only. False if full (the caller overflows to the global queue).
  /// `tag`: the owner's ready-order ticket for v (step 4).
  bool push(T* v, std::uint64_t tag = 0) noexcept {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed); // owner is the only writer
    // Acquire: pairs with the CAS in pop()/steal_into(); the slots they freed are ours again.
    const std::uint64_t h = head_.load(std::memory_order_acquire);
    if (t - h >= Capacity) return false;
    slots_[t & mask].store(v, std::memory_order_relaxed);
    tags_[t & mask] = tag; // owner only (step 4)
    // Release: publishes the slot write; pairs with the Acquire loads of tail_ in pop()/steal_into().
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  /// Owner only: the front task or nullptr.
  T* pop() noexcept {
    std::uint64_t h = head_.load(std::memory_order_acquire);
    for (;;) {
      if (h == tail_.load(std::memory_order_relaxed)) return nullptr; // owner wrote tail_ itself
      T* v = slots_[h & mask].load(std::memory_order_relaxed);
      // AcqRel on success: claims the slot against stealers (same CAS in steal_into).
      if (head_.compare_exchange_weak(h, h + 1, std::memory_order_acq_rel, std::memory_order_acquire)) return v;
    }
  }

  /// Owner only: the task pop() would return, without claiming it (may be
  /// stale: a thief may take it, and then it must not be dereferenced).
  [[nodiscard]] T* peek() const noexcept {
    const std::uint64_t h = head_.load(std::memory_order_acquire);
    if (h == tail_.load(std::memory_order_relaxed)) return nullptr;
    return slots_[h & mask].load(std::memory_order_relaxed);
  }

  /// Owner only: the tag of the head slot in `tag`, false if empty. May be
  /// stale in the same way as peek(), but reads only owner-written memory.
  [[nodiscard]] bool peek_tag(std::uint64_t& tag) const noexcept {
    const std::uint64_t h = head_.load(std::memory_order_acquire);
    if (h == tail_.load(std::memory_order_relaxed)) return false;
    tag = tags_[h & mask];
    return true;
  }

  /// Any thread except the owner of `dst`... which must be the caller's own
  /// queue: moves about half of this queue into dst. Returns how many moved.
  std::size_t steal_into(RunQueue& dst) noexcept {
    std::array<T*, Capacity / 2 + 1> grabbed;
    std::uint64_t h = head_.load(std::memory_order_acquire);
    for (;;) {
      // Acquire: pairs with the Release store of tail_ in push(); the slots are visible.
      const std::uint64_t t = tail_.load(std::memory_order_acquire);
      if (t <= h) return 0;
      std::uint64_t n = t - h;
      n -= n / 2; // take the larger half: a one-task queue can be stolen from
      const std::size_t room = dst.free_slots();
      if (n > room) n = room;
      if (n == 0) return 0;
      if (n > grabbed.size()) n = grabbed.size();
      for (std::uint64_t i = 0; i < n; ++i) grabbed[i] = slots_[(h + i) & mask].load(std::memory_order_relaxed);
      if (head_.compare_exchange_weak(h, h + n, std::memory_order_acq_rel, std::memory_order_acquire)) {
        // Tag 0: the thief steals only with nothing else ready, so its
        // stolen tasks are the oldest work it has.
        for (std::uint64_t i = 0; i < n; ++i) dst.push(grabbed[i], 0);
        return n;
      }
    }
  }

  /// Approximate length (exact when called by the owner with no stealers).
  [[nodiscard]] std::size_t size() const noexcept {
    const std::uint64_t h = head_.load(std::memory_order_acquire);
    const std::uint64_t t = tail_.load(std::memory_order_acquire);
    return t > h ? static_cast<std::size_t>(t - h) : 0;
  }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

private:
  std::size_t free_slots() const noexcept { return Capacity - size(); }

  alignas(64) std::atomic<std::uint64_t> head_{0};
  alignas(64) std::atomic<std::uint64_t> tail_{0};
  alignas(64) std::array<std::atomic<T*>, Capacity> slots_{};
  std::array<std::uint64_t, Capacity> tags_{}; ///< owner only (step 4)
};

} // namespace coreio::detail
