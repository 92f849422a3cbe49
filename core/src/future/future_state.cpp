// FutureStateBase: completion, waiting and done callbacks (future_state.hpp).
#include "coreio/detail/future_state.hpp"

#include <mutex>
#include <optional>

#include "coreio/detail/task_base.hpp"
#include "coreio/detail/wake_batch.hpp"
#include "runtime/log.hpp"
#include "sched/loop_impl.hpp"

namespace coreio::detail {

FutureStateBase::FutureStateBase() : loop_(current_loop()) {}

FutureStateBase::~FutureStateBase() { report_unretrieved("Future"); }

void FutureStateBase::report_unretrieved(const std::string& who) noexcept {
  if (status_.load(std::memory_order_relaxed) == Status::exception && !retrieved_) {
    retrieved_ = true; // report once (a Task reports from its own destructor)
    // asyncio's "Task exception was never retrieved" (logged at destruction),
    // with the exception's type and its nested causes.
    log().error("{} exception was never retrieved: {}", who, describe_exception(exc_));
  }
}

bool FutureStateBase::cancel(std::string msg) {
  return complete(Status::cancelled, [&] { exc_ = std::make_exception_ptr(CancelledError(std::move(msg))); });
}

bool FutureStateBase::set_exception(std::exception_ptr e) {
  return complete(Status::exception, [&] { exc_ = std::move(e); });
}

void FutureStateBase::finish_locked(Status s) {
  // Release: the outcome stored by complete() is visible to anyone who reads
  // a non-pending status with Acquire (status(), done()).
  status_.store(s, std::memory_order_release);
  // Fire the waiters under the lock (a cancelled waiter unlinks itself under
  // it), but wake them only after unlocking.
  WakeBatch wake;
  wake.fire_all(waiters_);
  const std::unique_ptr<DoneCallbacks> callbacks = std::move(callbacks_);
  lock_.unlock();

  on_complete();
  wake.wake_all();
  if (!callbacks) return;
  for (auto& cb : callbacks->list) {
    if (!cb.loop) {
      // Added from a thread with no loop: concurrent.futures runs it inline.
      cb.fn(this);
      continue;
    }
    auto self = Ref<FutureStateBase>::share(this);
    auto h = Ref<HandleState>::adopt(
        new HandleState([self = std::move(self), fn = std::move(cb.fn)]() mutable { fn(self.get()); }));
    try {
      cb.loop->post(h.get());
    } catch (const std::exception& e) {
      log().error("dropping a done callback: {}", e.what());
    }
  }
}

void FutureStateBase::check_done(const char* what) const {
  if (!done()) throw InvalidStateError(what);
}

void FutureStateBase::rethrow_if_failed() {
  switch (status()) {
  case Status::exception:
    retrieved_ = true; // benign race: several readers all set true
    std::rethrow_exception(exc_);
  case Status::cancelled: std::rethrow_exception(exc_);
  default: return;
  }
}

std::exception_ptr FutureStateBase::exception() {
  check_done("Exception is not set.");
  if (status() == Status::cancelled) std::rethrow_exception(exc_);
  retrieved_.store(true, std::memory_order_relaxed);
  return status() == Status::exception ? exc_ : nullptr;
}

void FutureStateBase::wait() {
  if (done()) return;
  ensure_can_suspend();
  TaskBase* task = current_task_base();
  if (task == this) throw RuntimeError("a task cannot wait for itself");
  Waiter w;
  w.target = &current_wakeable();
  lock_.lock();
  if (status_.load(std::memory_order_relaxed) != Status::pending) {
    lock_.unlock();
    return;
  }
  waiters_.push_back(&w);
  if (task) {
    // asyncio's _fut_waiter: lets task.cancel() cancel what it awaits. Set
    // before unlocking so no cancel() can slip between "waiting" and
    // "known to be waiting". Lock order: future, then task (cancel() never
    // holds the task lock while taking a future's).
    std::lock_guard g(task->lock_);
    task->waiting_on_ = this;
  }
  lock_.unlock();
  struct ClearAwaited {
    TaskBase* t;
    ~ClearAwaited() {
      if (!t) return;
      std::lock_guard g(t->lock_);
      t->waiting_on_ = nullptr;
    }
  } clear{task};
  if (task) pass_pending_cancel(*task);
  switch (wait_until_fired(w, lock_, waiters_)) {
  case WaitResult::fired: return;
  case WaitResult::fired_and_cancelled:
    // Done: the outcome (possibly our own cancellation, propagated into this
    // future) is reported by the caller's result(). If this future ended
    // cancelled, its CancelledError is the one the task sees, so the pending
    // request is spent (asyncio throws one CancelledError into the task, not
    // two). Otherwise the value is kept and the cancellation stays pending
    // for the next suspension point.
    if (status() == Status::cancelled) task->drop_cancel_request();
    return;
  case WaitResult::cancelled: throw_cancelled();
  }
}

void FutureStateBase::pass_pending_cancel(TaskBase& task) {
  // asyncio's Task.__step: a cancellation requested before the task started
  // to await this future is handed to the future (`if self._must_cancel: if
  // self._fut_waiter.cancel(msg): self._must_cancel = False`), so awaiting a
  // task or a gather with a cancel pending cancels it and waits for it, just
  // as a cancel() arriving one instant later would.
  std::optional<std::string> msg = task.take_cancel_request();
  if (!msg || cancel(*msg)) return;
  // Already done: the request stays pending, to be raised at the next
  // suspension point (unless a newer one replaced it meanwhile).
  task.restore_cancel_request(std::move(*msg));
}

std::uint64_t FutureStateBase::add_done_callback(Function<void(FutureStateBase*)> fn) {
  LoopImpl* l = current_loop();
  if (!l) l = loop();
  std::unique_lock g(lock_); // unique_lock: an allocation below may throw
  if (status_.load(std::memory_order_relaxed) != Status::pending) {
    g.unlock();
    // Already done: scheduled right away (asyncio), or inline without a loop.
    if (!l) {
      fn(this);
      return 0;
    }
    auto self = Ref<FutureStateBase>::share(this);
    auto h = Ref<HandleState>::adopt(
        new HandleState([self = std::move(self), fn = std::move(fn)]() mutable { fn(self.get()); }));
    l->post(h.get());
    return 0;
  }
  if (!callbacks_) callbacks_ = std::make_unique<DoneCallbacks>();
  const std::uint64_t id = callbacks_->next_id++;
  callbacks_->list.push_back(DoneCallback{id, Ref<LoopImpl>::share(l), std::move(fn)});
  return id;
}

std::size_t FutureStateBase::remove_done_callback(std::uint64_t id) {
  std::lock_guard g(lock_);
  if (!callbacks_) return 0;
  return std::erase_if(callbacks_->list, [id](const DoneCallback& c) { return c.id == id; });
}

} // namespace coreio::detail
