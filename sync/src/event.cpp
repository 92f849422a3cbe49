// Event: the waiting and broadcasting paths (event.hpp).
#include "coreio/sync/event.hpp"

#include <mutex>

#include "coreio/detail/wake_batch.hpp"

namespace coreio {

bool Event::wait_slow() {
  detail::Waiter w;
  {
    std::lock_guard g(lock_);
    // Relaxed: under lock_, which set() holds while it raises the flag and
    // fires; the lock orders the two.
    if (flag_.load(std::memory_order_relaxed)) return true;
    detail::ensure_can_suspend();
    w.target = &detail::current_wakeable();
    waiters_.push_back(&w);
  }
  switch (detail::wait_until_fired(w, lock_, waiters_)) {
  case detail::WaitResult::fired:
    return true;
  case detail::WaitResult::cancelled:
  case detail::WaitResult::fired_and_cancelled:
    // A broadcast gives this waiter nothing of its own to pass on.
    detail::throw_cancelled();
  }
  return true;
}

void Event::set() noexcept {
  // Relaxed: a set flag means set() already ran and fired everyone who was
  // linked before it; a waiter linked later saw the flag under lock_.
  if (flag_.load(std::memory_order_relaxed)) return;
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard g(lock_);
  // Release: publishes the setter's prior writes to waiters that read the
  // flag with Acquire (wait(), is_set()).
  flag_.store(true, std::memory_order_release);
  wake.fire_all(waiters_);
}

} // namespace coreio
