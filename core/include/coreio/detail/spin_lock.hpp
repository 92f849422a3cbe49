// A one-byte test-and-test-and-set lock for the runtime's tiny critical
// sections (a future's waiter list, a primitive's waiter queue). Sections are a
// few dozen instructions and never suspend a fiber while held; after a short
// spin the waiter yields the OS thread so a preempted holder can finish.
#pragma once

#include <atomic>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define COREIO_CPU_RELAX() _mm_pause()
#else
#define COREIO_CPU_RELAX() ((void)0)
#endif

namespace coreio::detail {

class SpinLock {
public:
  void lock() noexcept {
    for (int spins = 0;; ++spins) {
      // Acquire: everything the previous holder wrote before unlock() is visible.
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) {
        if (spins < 64) {
          COREIO_CPU_RELAX();
          ++spins;
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire);
  }
  // Release: publishes the section's writes; pairs with the Acquire in lock().
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

private:
  std::atomic<bool> locked_{false};
};

} // namespace coreio::detail
