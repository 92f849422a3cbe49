// Running one ready item (run_next): a task step or a callback.
//
// # A task step (run_task)
//  1. begin_step: claim the step (TaskStateWord::transition_to_running, rule
//     2). On the first step, a task cancelled before it ever ran completes
//     cancelled without starting its body (asyncio); otherwise it gets its
//     fiber (fiber.hpp) on a stack from this loop's cache.
//  2. The loop resumes the fiber until the task suspends or its body ends.
//  3. end_step: a finished body frees the stack and leaves the registry; a
//     task that stepped aside for an eager child is queued right below it;
//     otherwise transition_to_idle (rule 3) says whether it was woken during
//     the step and must be queued again (ReadyQueue::push_requeued).
// In debug mode each step and each callback is timed, and those longer than
// RuntimeConfig::slow_callback_duration are logged. Every step and callback
// bumps the loop's stall heartbeat on the way in and out (runtime/stall.hpp).
#include <chrono>
#include <string>

#include "runtime/log.hpp"
#include "runtime/runtime_impl.hpp"
#include "sched/loop_impl.hpp"

namespace coreio::detail {

namespace {
/// Times a step or a callback in debug mode (no clock read otherwise).
class SlowStepTimer {
public:
  SlowStepTimer(bool on, std::chrono::nanoseconds limit) noexcept
      : limit_(limit), t0_(on ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{}), on_(on) {}
  /// The time taken, if it reached the limit.
  [[nodiscard]] std::optional<double> slow_seconds() const noexcept {
    if (!on_) return std::nullopt;
    const auto took = std::chrono::steady_clock::now() - t0_;
    if (took < limit_) return std::nullopt;
    return std::chrono::duration<double>(took).count();
  }

private:
  std::chrono::nanoseconds limit_;
  std::chrono::steady_clock::time_point t0_;
  bool on_;
};
} // namespace

bool LoopImpl::run_next() {
  QueueLink* n = ready_.pop();
  if (!n) return false;
  if (n->kind_ == QueueLink::Kind::task) run_task(static_cast<TaskBase*>(n));
  else run_callback(static_cast<HandleState*>(n));
  return true;
}

void LoopImpl::run_task(TaskBase* t) {
  if (!begin_step(t)) return;
  const SlowStepTimer timer(debug(), rt_.config().slow_callback_duration);
  StallProbe& probe = rt_.stall_probe(index_);
  probe.enter(t); // the task is alive until end_step (runtime/stall.hpp, step 3)
  thread_ctx_.resume(*t);
  probe.leave();
  current_ = nullptr;
  if (const auto took = timer.slow_seconds()) log().warn("Executing task '{}' took {:.3f} seconds", t->name(), *took);
  end_step(t);
}

bool LoopImpl::begin_step(TaskBase* t) {
  current_ = t;
  t->loop_.store(this, std::memory_order_relaxed);
  // Rule 2: we popped it, so we own the SCHEDULED -> RUNNING move.
  if (t->state_.transition_to_running() != TaskStateWord::ToRunning::success)
    internal_error("a task was run in state " + std::to_string(t->state_.bits()) + ", not SCHEDULED (queued twice?)");
  counters_.bump(counters_.tasks_run);
  if (t->started_) return true;
  t->started_ = true;
  if (std::optional<std::string> msg = t->take_cancel_request()) {
    // Cancelled before it ever ran: the body never starts (asyncio).
    current_ = nullptr;
    t->finish_cancelled(std::move(*msg));
    finish_task(t);
    return false;
  }
  make_fiber(*t, stacks_.get());
  return true;
}

void LoopImpl::end_step(TaskBase* t) {
  if (t->fiber_->done) {
    finish_task(t);
    return;
  }
  if (std::exchange(stepped_aside_, false)) {
    // Eager start: the task stepped aside for a child that must run first.
    t->state_.transition_to_stepped_aside();
    ready_.push_below_front(t);
    return;
  }
  // Rule 3: idle, unless woken meanwhile: then it is queued again, behind the
  // callbacks already queued here (asyncio runs them before a task that
  // yields resumes).
  if (t->state_.transition_to_idle() == TaskStateWord::ToIdle::requeue) ready_.push_requeued(t);
}

void LoopImpl::finish_task(TaskBase* t) {
  t->state_.transition_to_complete();
  release_fiber(*t, stacks_);
  rt_.unregister_task(t); // may free t
}

void LoopImpl::run_eagerly(TaskBase& parent, TaskBase& child) noexcept {
  ready_.push_front(&child);
  stepped_aside_ = true;
  ThreadContext::switch_to_loop(parent);
}

void LoopImpl::run_callback(HandleState* h) {
  Ref<HandleState> ref = Ref<HandleState>::adopt(h); // the queue's reference
  if (h->cancelled()) return;
  counters_.bump(counters_.callbacks_run);
  const SlowStepTimer timer(debug(), rt_.config().slow_callback_duration);
  h->ran_.store(true, std::memory_order_release); // Release: pairs with Alarm::fired()'s Acquire
  StallProbe& probe = rt_.stall_probe(index_);
  probe.enter(h);
  try {
    h->fn_();
  } catch (...) {
    facade_.call_exception_handler({.message = "Exception in callback", .exception = std::current_exception()});
  }
  probe.leave();
  h->fn_ = nullptr; // captures die now, on this loop
  if (const auto took = timer.slow_seconds()) log().warn("Executing callback took {:.3f} seconds", *took);
}

} // namespace coreio::detail
