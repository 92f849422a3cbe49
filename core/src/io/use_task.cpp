// use_task: the signature-independent half of an awaited Asio operation
// (coreio/use_task.hpp has the protocol).
#include "coreio/use_task.hpp"

#include "coreio/detail/alarm.hpp"
#include "sched/loop_impl.hpp"

namespace coreio::detail {

bool on_loop_of(const boost::asio::execution_context& ctx) noexcept {
  LoopImpl* l = current_loop();
  return l && static_cast<const boost::asio::execution_context*>(&l->io_context()) == &ctx;
}

TaskOpBase::TaskOpBase() : target_(nullptr) {
  ensure_can_suspend();
  target_ = &current_wakeable();
}

TaskOpEnd TaskOpBase::wait(TaskOpClock::time_point deadline) {
  TaskOpEnd end = TaskOpEnd::completed;
  const bool has_deadline = deadline != TaskOpClock::time_point::max();
  Alarm alarm; // step 6: wakes us at the deadline
  if (has_deadline) alarm.arm(deadline, *target_, "use_task: a deadline (use_task_for/use_task_until)");
  auto request_stop = [&](TaskOpEnd why) {
    end = why;
    if (post_cancel_) {
      // Relaxed: the post below publishes the increment to the emitter
      // (the executor's queue orders it), and only this thread waits on it.
      outstanding_.fetch_add(1, std::memory_order_relaxed);
      post_cancel_(executor_, *this);
    } else {
      signal_->emit(boost::asio::cancellation_type::terminal);
    }
  };
  for (;;) {
    // Acquire: pairs with the Release decrements in complete() and
    // emit_cancel(); the handler's result is visible once this reads 0.
    if (outstanding_.load(std::memory_order_acquire) == 0) break;
    if (end == TaskOpEnd::completed) {
      if (cancel_pending()) {
        request_stop(TaskOpEnd::cancelled);
        continue;
      }
      if (has_deadline && TaskOpClock::now() >= deadline) {
        request_stop(TaskOpEnd::timed_out);
        continue;
      }
    }
    suspend_current();
  }
  alarm.cancel();
  return end;
}

void TaskOpBase::emit_cancel() noexcept {
  WakeRef target(target_);
  // Relaxed: complete() wrote it on this same thread (the object's loop).
  if (!completed_.load(std::memory_order_relaxed)) signal_->emit(boost::asio::cancellation_type::terminal);
  // Release: pairs with the Acquire load in wait(). Last access to *this.
  outstanding_.fetch_sub(1, std::memory_order_release);
  target.wake();
}

void TaskOpBase::raise_if_stopped(TaskOpEnd end) {
  if (end == TaskOpEnd::cancelled) throw_cancelled();
  if (end == TaskOpEnd::timed_out) throw TimeoutError();
}

void TaskOpBase::check_abandoned() const {
  if (abandoned_)
    throw RuntimeError("coreio::use_task: the operation was destroyed without completing "
                       "(its io_context was shut down)");
}

} // namespace coreio::detail
