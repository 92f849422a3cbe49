// Timeout (timeout.hpp): CPython's timeouts.py state machine, made thread-safe.
//
// States: created -> active -> (expiring -> expired | finished).
//
// In asyncio the timer callback and the task never run at once. Here the
// timer runs on a loop thread while the task may run on another, so:
//  1. Every transition happens under `mu_`, and on_timeout() calls
//     task.cancel() under it too. exit() (which calls uncancel()) therefore
//     sees either "active" (the timer will not cancel any more) or
//     "expiring" (its cancel() was counted): a cancellation can never land
//     after the scope has ended, and uncancel() never runs before the
//     cancel() it undoes. Lock order: mu_, then the task's lock, then the
//     lock of the future the task awaits.
//  2. A timer replaced by reschedule() may already be running on its loop:
//     each timer carries the generation it was scheduled for, and a stale
//     one does nothing.
//  3. The state is shared (Ref) with the timer callback, so a timer running
//     late never touches a Timeout that has left its scope. The state holds
//     the timer's Handle, which holds the callback: the cycle is cut when
//     the timer fires and at exit(), and handles are dropped outside `mu_`.
#include "coreio/timeout.hpp"

#include <cstdint>
#include <mutex>
#include <string>

#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/task_base.hpp"
#include "coreio/handle.hpp"
#include "coreio/loop.hpp"

namespace coreio::detail {

class TimeoutState final : public RefCounted {
public:
  enum class Phase { created, active, expiring, expired, finished };

  explicit TimeoutState(std::optional<Timeout::time_point> when) : when_(when) {}

  static const char* name(Phase p) noexcept {
    switch (p) {
    case Phase::created: return "created";
    case Phase::active: return "active";
    case Phase::expiring: return "expiring";
    case Phase::expired: return "expired";
    case Phase::finished: return "finished";
    }
    return "unknown";
  }

  /// Step 1/2: the deadline passed.
  void on_timeout(std::uint64_t generation) {
    Handle fired;
    std::lock_guard g(mu_);
    if (generation != generation_ || phase_ != Phase::active) return;
    task_->cancel(std::string{});
    phase_ = Phase::expiring;
    fired = std::move(handle_); // dropped after unlocking (declared before the guard)
  }

  mutable SpinLock mu_; ///< guards everything below
  Phase phase_ = Phase::created;
  std::optional<Timeout::time_point> when_;
  /// The task of the scope; alive while the phase is active or expiring
  /// (the scope, which runs on it, has not exited).
  TaskBase* task_ = nullptr;
  int cancelling_ = 0; ///< task_->cancelling() at enter
  Handle handle_;
  std::uint64_t generation_ = 0;
};

Timeout::time_point deadline_after(std::chrono::nanoseconds delay) noexcept {
  const Timeout::time_point now = Timeout::clock::now();
  if (delay > Timeout::time_point::max() - now) return Timeout::time_point::max();
  return now + delay;
}

} // namespace coreio::detail

namespace coreio {

using detail::TimeoutState;

Timeout::Timeout(std::optional<time_point> when) : s_(detail::Ref<TimeoutState>::adopt(new TimeoutState(when))) {}

Timeout::~Timeout() = default;

std::optional<Timeout::time_point> Timeout::when() const {
  std::lock_guard g(s_->mu_);
  return s_->when_;
}

bool Timeout::expired() const {
  std::lock_guard g(s_->mu_);
  return s_->phase_ == TimeoutState::Phase::expiring || s_->phase_ == TimeoutState::Phase::expired;
}

void Timeout::reschedule(std::optional<time_point> when) {
  Handle old;
  {
    std::lock_guard g(s_->mu_);
    if (s_->phase_ == TimeoutState::Phase::created) throw RuntimeError("Timeout has not been entered");
    if (s_->phase_ != TimeoutState::Phase::active)
      throw RuntimeError(std::string("Cannot change state of ") + TimeoutState::name(s_->phase_) + " Timeout");
    s_->when_ = when;
    old = std::move(s_->handle_);
    const std::uint64_t generation = ++s_->generation_;
    if (when) {
      Loop& loop = get_running_loop();
      auto on_timeout = [s = s_, generation] { s->on_timeout(generation); };
      // asyncio: a deadline already passed fires via call_soon.
      if (*when <= loop.time()) s_->handle_ = loop.call_soon(std::move(on_timeout));
      else s_->handle_ = loop.call_at(*when, std::move(on_timeout));
    }
  }
  old.cancel();
}

void Timeout::enter() {
  detail::TaskBase* task = detail::current_task_base();
  if (!task) throw RuntimeError("Timeout should be used inside a task");
  std::optional<time_point> when;
  {
    std::lock_guard g(s_->mu_);
    if (s_->phase_ != TimeoutState::Phase::created) throw RuntimeError("Timeout has already been entered");
    s_->phase_ = TimeoutState::Phase::active;
    s_->task_ = task;
    s_->cancelling_ = task->cancelling();
    when = s_->when_;
  }
  reschedule(when);
}

bool Timeout::exit(bool cancelled) noexcept {
  Handle old;
  bool ours = false;
  {
    std::lock_guard g(s_->mu_);
    old = std::move(s_->handle_);
    if (s_->phase_ == TimeoutState::Phase::expiring) {
      s_->phase_ = TimeoutState::Phase::expired;
      // CPython: `if self._task.uncancel() <= self._cancelling and exc_type is not None`.
      ours = s_->task_->uncancel() <= s_->cancelling_ && cancelled;
    } else if (s_->phase_ == TimeoutState::Phase::active) {
      s_->phase_ = TimeoutState::Phase::finished;
    }
  }
  old.cancel();
  return ours;
}

} // namespace coreio
