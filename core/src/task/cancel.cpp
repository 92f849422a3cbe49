// Cancellation of tasks: requests and the rule for a request still pending
// when the body returns (task_base.hpp, "Cancellation"); their delivery at
// suspension points is suspend.cpp's. Every read-modify of the pending request goes through the
// functions here, under the task lock.
#include <atomic>
#include <mutex>

#include "coreio/detail/task_base.hpp"
#include "sched/loop_impl.hpp"

namespace coreio::detail {

bool TaskBase::cancel(std::string msg) {
  if (done()) return false;
  num_cancels_.fetch_add(1, std::memory_order_relaxed);
  FutureStateBase* awaited = nullptr;
  {
    std::lock_guard g(lock_);
    awaited = waiting_on_;
    if (awaited) awaited->add_ref();
  }
  if (awaited) {
    // asyncio: `if self._fut_waiter.cancel(msg): return True`.
    const bool ok = awaited->cancel(msg);
    awaited->release();
    if (ok) return true;
  }
  {
    // A message needs the extras block: allocated before the lock.
    auto fresh = msg.empty() ? nullptr : std::make_unique<Extras>();
    std::lock_guard g(lock_);
    if (!msg.empty()) extras_locked(fresh);
    request_cancel_locked(std::move(msg));
  }
  wake();
  return true;
}

void TaskBase::request_cancel_locked(std::string msg) noexcept {
  // An empty message needs no block; a non-empty one found it installed.
  if (extras_) extras_->cancel_msg = std::move(msg);
  // SeqCst: the store is the first half of the Dekker pair with the step's
  // transition_to_running() (task_state_word.hpp); the running() load below
  // is the second. It also publishes the message to whoever sees the flag.
  must_cancel_.store(true, std::memory_order_seq_cst);
  // May this request end the task when its body returns? Yes if the task
  // asks for itself (asyncio's test_cancel_at_end) or is not running a step
  // now: then its next step starts after this point and sees the request at
  // its first suspension point. No if another thread asks while the step
  // runs: the step's effects may already have happened. Any request that may
  // end the task keeps that right until it is delivered.
  const bool self = current_task_base() == this;
  cancel_at_end_ = cancel_at_end_ || self || !state_.running();
}

std::optional<std::string> TaskBase::take_cancel_request() {
  // The common case (no request) costs this one load.
  if (!cancel_requested()) return std::nullopt;
  std::lock_guard g(lock_);
  // Relaxed: the task lock orders it with request_cancel_locked().
  if (!must_cancel_.load(std::memory_order_relaxed)) return std::nullopt; // uncancel() won
  must_cancel_.store(false, std::memory_order_relaxed);
  cancel_at_end_ = false;
  return take_cancel_msg_locked();
}

std::string TaskBase::take_cancel_msg_locked() noexcept {
  return extras_ ? std::exchange(extras_->cancel_msg, std::string()) : std::string();
}

void TaskBase::restore_cancel_request(std::string msg) {
  auto fresh = msg.empty() ? nullptr : std::make_unique<Extras>();
  std::lock_guard g(lock_);
  if (must_cancel_.load(std::memory_order_relaxed)) return; // a newer request replaced it
  if (!msg.empty()) extras_locked(fresh);
  if (extras_) extras_->cancel_msg = std::move(msg);
  // A request that was handed on and came back (its future was already
  // done) was made before this point of the step: it keeps asyncio's rule.
  cancel_at_end_ = true;
  must_cancel_.store(true, std::memory_order_seq_cst); // SeqCst: as in request_cancel_locked()
}

void TaskBase::drop_cancel_request() noexcept {
  std::lock_guard g(lock_);
  must_cancel_.store(false, std::memory_order_relaxed); // the task lock orders it
  cancel_at_end_ = false;
  if (extras_) extras_->cancel_msg.clear();
}

std::optional<std::string> TaskBase::take_cancel_at_end() {
  if (!cancel_requested()) return std::nullopt;
  std::lock_guard g(lock_);
  if (!must_cancel_.load(std::memory_order_relaxed)) return std::nullopt;
  must_cancel_.store(false, std::memory_order_relaxed);
  const bool ends_task = std::exchange(cancel_at_end_, false);
  std::string msg = take_cancel_msg_locked();
  if (!ends_task) return std::nullopt; // made from another thread during this step: dropped
  return msg;
}

int TaskBase::uncancel() noexcept {
  int n = num_cancels_.load(std::memory_order_relaxed);
  while (n > 0 && !num_cancels_.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) {}
  if (n > 0) --n;
  // 3.13: with no requests left, a not-yet-delivered cancellation is dropped.
  if (n == 0 && cancel_requested()) drop_cancel_request();
  return n;
}

bool TaskBase::finish_cancelled(std::string msg) {
  return complete(Status::cancelled, [&] { exc_ = std::make_exception_ptr(CancelledError(std::move(msg))); });
}

void TaskBase::finish_with_exception(std::exception_ptr e) {
  complete(Status::exception, [&] { exc_ = std::move(e); });
}

} // namespace coreio::detail
