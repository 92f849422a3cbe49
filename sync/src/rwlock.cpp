// RwLock: acquisition, FIFO grants and release (rwlock.hpp).
#include "coreio/sync/rwlock.hpp"

#include <mutex>

#include "coreio/detail/wake_batch.hpp"
#include "coreio/exceptions.hpp"

namespace coreio {

bool RwLock::free_for_locked(std::uintptr_t access) const noexcept {
  return access == read_access ? !writer_ : !writer_ && readers_ == 0;
}

void RwLock::take_locked(std::uintptr_t access) noexcept {
  if (access == read_access) ++readers_;
  else writer_ = true;
}

void RwLock::grant_locked(detail::WakeBatch& wake) noexcept {
  while (detail::Waiter* first = waiters_.front()) {
    if (!free_for_locked(first->data)) return;
    take_locked(first->data); // on the waiter's behalf: it owns this now
    wake.fire(waiters_, first);
  }
}

void RwLock::acquire(std::uintptr_t access) {
  detail::Waiter w;
  w.data = access;
  {
    std::lock_guard g(lock_);
    // FIFO: a newcomer queues behind anyone waiting, even if it would fit.
    if (waiters_.empty() && free_for_locked(access)) {
      take_locked(access);
      return;
    }
    detail::ensure_can_suspend();
    w.target = &detail::current_wakeable();
    waiters_.push_back(&w);
  }
  switch (detail::wait_until_fired(w, lock_, waiters_)) {
  case detail::WaitResult::fired: return; // granted by grant_locked()
  case detail::WaitResult::cancelled: {
    // Unlinked, given nothing. If we were the writer at the head, the readers
    // queued behind us may fit now.
    detail::WakeBatch wake; // declared first: wakes after the guard unlocks
    std::lock_guard g(lock_);
    grant_locked(wake);
  }
    detail::throw_cancelled();
  case detail::WaitResult::fired_and_cancelled:
    // Granted but not going to use it: give it back, admitting the next.
    (void)release(access);
    detail::throw_cancelled();
  }
}

bool RwLock::try_lock_shared() noexcept {
  std::lock_guard g(lock_);
  if (!waiters_.empty() || writer_) return false;
  ++readers_;
  return true;
}

bool RwLock::try_lock() noexcept {
  std::lock_guard g(lock_);
  if (!waiters_.empty() || writer_ || readers_ > 0) return false;
  writer_ = true;
  return true;
}

bool RwLock::release(std::uintptr_t access) noexcept {
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard g(lock_);
  if (access == read_access) {
    if (readers_ == 0) return false;
    if (--readers_ == 0) grant_locked(wake);
    return true;
  }
  if (!writer_) return false;
  writer_ = false;
  grant_locked(wake);
  return true;
}

void RwLock::unlock_shared() {
  if (!release(read_access)) throw RuntimeError("RwLock::unlock_shared: no reader holds the lock");
}

void RwLock::unlock() {
  if (!release(write_access)) throw RuntimeError("RwLock::unlock: no writer holds the lock");
}

std::size_t RwLock::readers() const noexcept {
  std::lock_guard g(lock_);
  return readers_;
}

bool RwLock::write_locked() const noexcept {
  std::lock_guard g(lock_);
  return writer_;
}

} // namespace coreio
