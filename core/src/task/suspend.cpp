// Suspension: how the calling task (or a plain OS thread) waits and is woken
// (waiter.hpp's protocol), how a pending cancellation is delivered there, and
// the suspension points built on it alone: sleep and yield. (Kept in one
// unit: yield and sleep call these on every step.) A task suspends by switching to its loop (sched/step.cpp);
// a thread parks on a one-token parker.
#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <thread>

#include "coreio/detail/alarm.hpp"
#include "coreio/exceptions.hpp"
#include "coreio/sleep.hpp"
#include "sched/loop_impl.hpp"

namespace coreio::detail {

namespace {
/// A plain OS thread's way to sleep in wait_until_fired(): a one-token parker
/// (std::thread::park-like). Reference counted so a notifier holding it after
/// the thread moved on never touches freed memory.
class ThreadParker final : public Wakeable {
public:
  void wake() noexcept override {
    // Release: pairs with the Acquire exchange in park().
    token_.store(1, std::memory_order_release);
    token_.notify_one();
  }
  void retain() noexcept override { refs_.fetch_add(1, std::memory_order_relaxed); }
  void unretain() noexcept override {
    // AcqRel: the last release must see every other user's writes before delete.
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  void park() noexcept {
    while (token_.exchange(0, std::memory_order_acquire) == 0) token_.wait(0, std::memory_order_acquire);
  }

private:
  std::atomic<std::uint32_t> token_{0};
  std::atomic<std::uint32_t> refs_{1};
};

struct ParkerHolder {
  ThreadParker* p = new ThreadParker();
  ~ParkerHolder() { p->unretain(); }
};

ThreadParker& this_thread_parker() {
  thread_local ParkerHolder holder;
  return *holder.p;
}
} // namespace

// Rules 1, 3, 4 of task_state_word.hpp: the transition decides, this queues.
void TaskBase::wake() noexcept {
  // Rule 1: only the winner of idle -> SCHEDULED queues it. Rule 3: a running
  // task's loop requeues it when the step ends. Rule 4: complete stays put.
  if (state_.transition_to_notified() != TaskStateWord::Wake::submit) return;
  LoopImpl* here = current_loop();
  LoopImpl* home = loop_.load(std::memory_order_relaxed);
  // A task never leaves its runtime: its loop's runtime is its own.
  if (here && &here->runtime() == &home->runtime() && (!pinned_ || here == home)) here->push_task(this, true);
  else home->schedule_remote(this);
}

TaskBase* current_task_base() noexcept {
  LoopImpl* l = current_loop();
  return l ? l->current() : nullptr;
}

// ---------------------------------------------------------------- at suspension points

bool cancel_pending() noexcept {
  TaskBase* t = current_task_base();
  return t && t->cancel_requested();
}

void throw_cancelled() {
  std::string msg;
  if (TaskBase* t = current_task_base())
    if (std::optional<std::string> m = t->take_cancel_request()) msg = std::move(*m);
  throw CancelledError(std::move(msg));
}

void check_cancel() {
  if (cancel_pending()) throw_cancelled();
}

void ensure_can_suspend() {
  LoopImpl* l = current_loop();
  if (l && !l->current())
    throw RuntimeError(
        "coreio: cannot wait inside a callback running on an event loop "
        "(it would block the loop); create a task instead");
}

Wakeable& current_wakeable() {
  if (TaskBase* t = current_task_base()) return *t;
  return this_thread_parker();
}

void suspend_current() {
  if (TaskBase* t = current_task_base()) {
    ThreadContext::switch_to_loop(*t);
    return;
  }
  this_thread_parker().park();
}

} // namespace coreio::detail

namespace coreio {

void sleep_until(std::chrono::steady_clock::time_point when) {
  detail::TaskBase* t = detail::current_task_base();
  if (!t) {
    detail::ensure_can_suspend();
    std::this_thread::sleep_until(when);
    return;
  }
  detail::check_cancel();
  detail::Alarm alarm;
  alarm.arm(when, *t, "sleep");
  while (!alarm.fired()) {
    if (detail::cancel_pending()) {
      alarm.cancel();
      detail::throw_cancelled();
    }
    detail::suspend_current();
  }
  // A cancel that arrived after the timer fired but before we resumed is
  // raised here, as asyncio raises it from that `await sleep()`.
  detail::check_cancel();
}

void sleep(std::chrono::nanoseconds delay) {
  if (delay <= std::chrono::nanoseconds::zero()) {
    yield_now();
    return;
  }
  // now() + nanoseconds::max() would overflow into the past (and return at
  // once): clamp as the templated overload does (sleep.hpp).
  sleep_until(std::chrono::steady_clock::now() + std::min(delay, max_sleep_delay));
}

void yield_now() {
  detail::TaskBase* t = detail::current_task_base();
  if (!t) {
    detail::ensure_can_suspend();
    std::this_thread::yield();
    return;
  }
  // asyncio's bare yield: a pending cancellation is delivered when we resume.
  t->wake(); // RUNNING -> NOTIFIED: requeued at the back when we switch out
  detail::suspend_current();
  detail::check_cancel();
}

} // namespace coreio
