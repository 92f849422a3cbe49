// Waiters: how a task or an OS thread sleeps on a primitive and is woken.
//
// Every waitable thing in coreio (futures, locks, events, queues...) keeps an
// intrusive FIFO WaitList of Waiter records, guarded by the primitive's own
// lock. A Waiter lives on the waiting task's (or thread's) stack.
//
// Protocol (numbered so primitives can cite it):
//  1. The waiter links itself into the list under the primitive lock, then
//     unlocks and calls wait_until_fired().
//  2. A notifier, under the same lock, calls fire(list, w): this unlinks w,
//     takes a reference to w's target and sets w->fired (Release) as its LAST
//     access to *w. After the lock is dropped it wakes the target. The waiter
//     may return and destroy w as soon as it sees fired, so nothing touches w
//     after the store; the target (task or thread parker) is kept alive by the
//     reference.
//  3. Wake-ups may be spurious (a stale timer, a cancel, a notification for an
//     earlier wait): the waiter re-checks `fired` in a loop.
//  4. A task with a pending cancellation stops waiting: under the lock it
//     checks `fired` once more. Not fired: it unlinks itself (nothing was given
//     to it) and reports Cancelled. Fired: the primitive handed it something
//     (a lock, a permit, a notification); it reports FiredAndCancelled so the
//     primitive passes the hand-off on before CancelledError is raised. This is
//     what keeps a cancelled waiter from losing a wake-up (bpo-27585).
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "coreio/detail/ref.hpp"

namespace coreio::detail {

/// A task or a thread that can be made runnable again. wake() is thread-safe
/// and may be called spuriously. retain()/unretain() keep it alive while a
/// notifier holds it (a task's count is its future's; a thread parker has its own).
class Wakeable {
public:
  virtual void wake() noexcept = 0;
  virtual void retain() noexcept = 0;
  virtual void unretain() noexcept = 0;

protected:
  ~Wakeable() = default;
};

/// Owning reference to a Wakeable.
class WakeRef {
public:
  WakeRef() noexcept = default;
  explicit WakeRef(Wakeable* w) noexcept : w_(w) {
    if (w_) w_->retain();
  }
  WakeRef(WakeRef&& o) noexcept : w_(std::exchange(o.w_, nullptr)) {}
  WakeRef& operator=(WakeRef&& o) noexcept {
    std::swap(w_, o.w_);
    return *this;
  }
  WakeRef(const WakeRef&) = delete;
  WakeRef& operator=(const WakeRef&) = delete;
  ~WakeRef() {
    if (w_) w_->unretain();
  }
  /// Wakes the target (if any) and drops the reference.
  void wake() noexcept {
    if (Wakeable* w = std::exchange(w_, nullptr)) {
      w->wake();
      w->unretain();
    }
  }
  explicit operator bool() const noexcept { return w_ != nullptr; }

private:
  Wakeable* w_ = nullptr;
};

struct Waiter {
  Waiter* prev = nullptr;
  Waiter* next = nullptr;
  /// Borrowed: the waiting task/thread outlives its own Waiter.
  Wakeable* target = nullptr;
  /// Set by fire() (Release); read by the waiter (Acquire).
  std::atomic<bool> fired{false};
  /// Primitive-specific payload (e.g. the number of permits wanted).
  std::uintptr_t data = 0;
  bool linked = false;
};

/// Intrusive doubly linked FIFO of Waiters. Not thread-safe: the owner's lock guards it.
class WaitList {
public:
  [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }
  /// Counts by walking the list (diagnostics only): every future and task
  /// record holds a WaitList, so it keeps no counter of its own.
  [[nodiscard]] std::size_t size() const noexcept {
    std::size_t n = 0;
    for (const Waiter* w = head_; w; w = w->next) ++n;
    return n;
  }
  [[nodiscard]] Waiter* front() const noexcept { return head_; }

  void push_back(Waiter* w) noexcept {
    w->prev = tail_;
    w->next = nullptr;
    if (tail_) tail_->next = w;
    else head_ = w;
    tail_ = w;
    w->linked = true;
  }
  void remove(Waiter* w) noexcept {
    if (!w->linked) return;
    (w->prev ? w->prev->next : head_) = w->next;
    (w->next ? w->next->prev : tail_) = w->prev;
    w->prev = w->next = nullptr;
    w->linked = false;
  }
  /// Moves every waiter into `out` (used when a future completes).
  void take_all(WaitList& out) noexcept {
    out = *this;
    head_ = tail_ = nullptr;
  }

private:
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
};

/// Step 2 of the protocol: unlink, reference the target, publish `fired`.
/// Call under the primitive lock; wake the returned target after unlocking.
[[nodiscard]] inline WakeRef fire(WaitList& list, Waiter* w) noexcept {
  list.remove(w);
  WakeRef target(w->target);
  // Release: the primitive's state changes made under the lock (the hand-off)
  // happen-before the waiter's Acquire load of `fired` in wait_until_fired().
  w->fired.store(true, std::memory_order_release);
  return target;
}

/// The calling task, or this thread's parker when called outside any task.
Wakeable& current_wakeable();

/// Throws RuntimeError if the caller may not wait: a callback running on a
/// loop thread outside any task would block its whole loop. Primitives call
/// it before step 1, only when they are about to wait (an uncontended
/// acquire from a callback is fine, as it never suspends).
void ensure_can_suspend();

enum class WaitResult {
  fired, ///< The notifier fired us; no cancellation pending.
  cancelled, ///< Cancelled before being fired; w was unlinked.
  fired_and_cancelled ///< Fired, but the task was cancelled before it resumed.
};

/// Steps 3 and 4: suspend the current task (or block the current thread) until
/// w fires or the task is cancelled. `lock` is the primitive's lock (not held
/// on entry or exit). Never throws; the caller raises CancelledError (via
/// throw_cancelled()) after handing on anything it was given.
template <class Lock>
WaitResult wait_until_fired(Waiter& w, Lock& lock, WaitList& list);

/// Suspends the current task until someone wakes it (any wake-up, spurious
/// included), or blocks the current thread until its parker is unparked.
void suspend_current();

/// True if the current task has a cancellation waiting to be delivered.
[[nodiscard]] bool cancel_pending() noexcept;

/// Consumes the pending cancellation and throws CancelledError with its message.
[[noreturn]] void throw_cancelled();

/// If a cancellation is pending, consume it and throw CancelledError.
void check_cancel();

template <class Lock>
WaitResult wait_until_fired(Waiter& w, Lock& lock, WaitList& list) {
  for (;;) {
    // Acquire: pairs with the Release store in fire().
    if (w.fired.load(std::memory_order_acquire))
      return cancel_pending() ? WaitResult::fired_and_cancelled : WaitResult::fired;
    if (cancel_pending()) {
      lock.lock();
      const bool fired = w.fired.load(std::memory_order_relaxed); // lock orders it
      if (!fired) list.remove(&w);
      lock.unlock();
      return fired ? WaitResult::fired_and_cancelled : WaitResult::cancelled;
    }
    suspend_current();
  }
}

} // namespace coreio::detail
