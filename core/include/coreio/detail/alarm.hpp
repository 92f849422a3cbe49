// Alarm: "wake this task at a deadline", the one way a task that waits with a
// deadline (sleep, use_task_for, a stream's drain with a timeout) gets woken
// when the deadline passes. It is a timer on the calling task's loop
// (sched/timers.hpp) whose callback wakes the task; the waiter re-checks its
// own condition when it runs, so a late or spurious alarm is harmless.
//
// Thread safety: distinct objects only; arm() on the waiting task, cancel()
// and the destructor from the same task. Resumes on: the alarm only wakes its
// target; the target resumes where it waits.
#pragma once

#include <chrono>

#include "coreio/detail/handle_state.hpp"
#include "coreio/detail/ref.hpp"
#include "coreio/detail/waiter.hpp"

namespace coreio::detail {

class Alarm {
public:
  using clock = std::chrono::steady_clock;

  Alarm() noexcept = default;
  Alarm(const Alarm&) = delete;
  Alarm& operator=(const Alarm&) = delete;
  ~Alarm() { cancel(); }

  /// Arms the alarm on the calling task's loop: `target` is woken at `when`.
  /// Throws RuntimeError when called outside a task (a deadline needs a loop
  /// to keep time; `what` names the caller in the message).
  void arm(clock::time_point when, Wakeable& target, const char* what);
  /// True once the alarm went off (its wake-up was delivered to the target).
  [[nodiscard]] bool fired() const noexcept;
  /// Disarms it; harmless if it fired or was never armed.
  void cancel() noexcept;

private:
  Ref<HandleState> h_;
};

} // namespace coreio::detail
