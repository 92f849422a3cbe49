// HandleState: one scheduled callback (call_soon / call_later / done callback).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "coreio/detail/function.hpp"
#include "coreio/detail/queue_link.hpp"
#include "coreio/detail/recycler.hpp"
#include "coreio/detail/ref.hpp"

namespace coreio::detail {

class HandleState final : public RefCounted, public QueueLink {
public:
  explicit HandleState(Function<void()> fn, Kind kind = Kind::callback) : QueueLink(kind), fn_(std::move(fn)) {}

  // One per callback: recycled (allocated on a producer thread, freed on the loop).
  static void* operator new(std::size_t size) { return recycler::allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { recycler::deallocate(p, size); }

  /// Thread-safe. The loop drops a cancelled callback without running it.
  void cancel() noexcept {
    // Relaxed: only the flag itself is communicated; the loop reading it late
    // at worst runs the callback once more, which asyncio also allows for a
    // cancel() racing with the loop from another thread.
    cancelled_.store(true, std::memory_order_relaxed);
    on_cancel();
  }
  [[nodiscard]] bool cancelled() const noexcept { return cancelled_.load(std::memory_order_relaxed); }

  Function<void()> fn_;
  std::atomic<bool> cancelled_{false};
  /// Set by the loop just before it runs fn_ (Release; sleep() polls it with Acquire).
  std::atomic<bool> ran_{false};
  std::chrono::steady_clock::time_point when_{}; ///< TimerHandle only
  std::uint64_t ticket_ = 0;                     ///< ready order (loop thread only)
  class LoopImpl* timer_loop_ = nullptr;         ///< set for timers: tells the loop a timer was cancelled

private:
  void on_cancel() noexcept;
};

} // namespace coreio::detail
