// Notify: waiting, the stored permit and its hand-on (notify.hpp).
#include "coreio/sync/notify.hpp"

#include <mutex>

#include "coreio/detail/wake_batch.hpp"

namespace coreio {

void Notify::notified() {
  detail::Waiter w;
  {
    std::lock_guard g(lock_);
    if (permit_) {
      permit_ = false;
      return;
    }
    detail::ensure_can_suspend();
    w.target = &detail::current_wakeable();
    waiters_.push_back(&w);
  }
  switch (detail::wait_until_fired(w, lock_, waiters_)) {
  case detail::WaitResult::fired: return;
  case detail::WaitResult::cancelled: detail::throw_cancelled(); // unlinked: given nothing
  case detail::WaitResult::fired_and_cancelled:
    // w.data was written under lock_ before fire(), whose Release store
    // wait_until_fired() read with Acquire. notify_one's permit is ours and
    // unused: pass it on before raising (protocol step 4).
    if (w.data == by_notify_one) notify_one();
    detail::throw_cancelled();
  }
}

bool Notify::try_notified() noexcept {
  std::lock_guard g(lock_);
  if (!permit_) return false;
  permit_ = false;
  return true;
}

void Notify::notify_one() noexcept {
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard g(lock_);
  if (detail::Waiter* first = waiters_.front()) {
    first->data = by_notify_one;
    wake.fire(waiters_, first);
    return;
  }
  permit_ = true;
}

void Notify::notify_waiters() noexcept {
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard g(lock_);
  while (detail::Waiter* w = waiters_.front()) {
    w->data = by_notify_waiters;
    wake.fire(waiters_, w);
  }
}

} // namespace coreio
