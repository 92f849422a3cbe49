// WakeBatch: the wake-ups a primitive collects under its lock and delivers
// after unlocking (waiter.hpp, protocol step 2).
//
// Declare the batch BEFORE the lock guard in a scope: destructors run in
// reverse order, so the guard unlocks first and the batch then wakes every
// target, also when the scope is left by an exception. A wake-up that has been
// fired can therefore never be dropped on the floor.
#pragma once

#include <cstddef>
#include <new>
#include <utility>
#include <vector>

#include "coreio/detail/waiter.hpp"

namespace coreio::detail {

class WakeBatch {
public:
  WakeBatch() noexcept = default;
  WakeBatch(const WakeBatch&) = delete;
  WakeBatch& operator=(const WakeBatch&) = delete;
  ~WakeBatch() { wake_all(); }

  /// Keeps `target` to wake later. If memory for a large batch runs out, the
  /// target is woken at once (still correct, only under the caller's lock).
  void add(WakeRef&& target) noexcept {
    if (!target) return;
    if (n_ < few_capacity) {
      // Constructed in place only when used: most batches hold one target or
      // none, and the hot paths (a queue hand-off, a lock release) should not
      // pay for four empty references.
      ::new (static_cast<void*>(few_ + n_ * sizeof(WakeRef))) WakeRef(std::move(target));
      ++n_;
      return;
    }
    try {
      more_.push_back(std::move(target));
    } catch (...) {
      // Out of memory: deliver this one now rather than lose it.
      target.wake();
    }
  }

  /// Fires `w` (which must be linked in `list`) and keeps its target.
  void fire(WaitList& list, Waiter* w) noexcept { add(detail::fire(list, w)); }

  /// Fires every waiter of `list`, in FIFO order.
  void fire_all(WaitList& list) noexcept {
    while (Waiter* w = list.front()) fire(list, w);
  }

  /// Wakes everything collected so far. Call without the primitive's lock.
  void wake_all() noexcept {
    for (std::size_t i = 0; i < n_; ++i) {
      WakeRef* r = std::launder(reinterpret_cast<WakeRef*>(few_ + i * sizeof(WakeRef)));
      r->wake();
      r->~WakeRef();
    }
    n_ = 0;
    if (more_.empty()) return;
    for (WakeRef& r : more_) r.wake();
    more_.clear();
  }

private:
  static constexpr std::size_t few_capacity = 4;
  alignas(WakeRef) std::byte few_[few_capacity * sizeof(WakeRef)];
  std::size_t n_ = 0;
  std::vector<WakeRef> more_;
};

} // namespace coreio::detail
