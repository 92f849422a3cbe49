// TaskGroup (task_group.hpp): CPython's taskgroups.py, made thread-safe.
//
// asyncio's TaskGroup is a set of children, a list of errors and a few flags,
// changed by the parent (create_task, __aexit__) and by the children's done
// callbacks, all on one thread. Here children run on any loop, add siblings
// from any loop, and their done callbacks run on the loop each was created
// from, so all of it lives in a shared TaskGroupState under `mu_`:
//  1. Children are counted from create_task() on: begin_create() reserves a
//     slot (`creating_`) before the task exists, end_create() turns it into a
//     member of `tasks_`. An exit therefore never finishes while a child is
//     being created, and a child is never added to a finished group.
//  2. _abort() marks the group aborting and takes a snapshot of the children
//     under `mu_`; they are cancelled after unlocking (cancelling may complete
//     futures, whose callbacks must not run under our lock). A child created
//     after the snapshot sees `aborting_` and is cancelled by end_create().
//  3. The first failure cancels the parent task under `mu_`, so the cancel()
//     is ordered before the parent's exit can read `parent_cancel_requested_`
//     and uncancel() it: the uncancel() never overtakes the cancel() it undoes.
//     Lock order: mu_, then the parent's lock, then the awaited future's.
//  4. The exit waits on a fresh `on_completed_` future each round (asyncio's
//     _on_completed_fut), which the done callback of the last child completes.
//     A cancellation of the parent cancels that future; the exit notes it,
//     aborts the group if it was not aborting, and waits again. It never
//     suspends inside a catch block.
//  5. The state is shared (Ref) with every child's done callback, so a late
//     callback never touches a TaskGroup that has left its scope.
//  6. create_task() after the abort: asyncio's RuntimeError("TaskGroup is
//     shutting down"), which its child can only meet after catching its
//     CancelledError. With several loops a child may be running when another
//     loop aborts the group; its cancellation is then pending, and until it
//     is delivered create_task() does what asyncio's child, whose run would
//     have ended before the abort, got: a task, cancelled before it starts.
#include "coreio/task_group.hpp"

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "coreio/detail/awaitable.hpp"
#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"
#include "coreio/loop.hpp"
#include "runtime/log.hpp"
#include "sched/loop_impl.hpp"

namespace coreio::detail {

namespace {

using Children = std::vector<Ref<FutureStateBase>>;

void cancel_all(const Children& children) {
  for (const auto& c : children) c->cancel(std::string{});
}

/// asyncio's call_exception_handler for an error the group cannot raise.
void report(const std::string& message, std::exception_ptr e, const std::string& task) noexcept {
  try {
    if (LoopImpl* l = current_loop()) {
      l->facade().call_exception_handler({.message = message, .exception = std::move(e), .task = task});
      return;
    }
    log().error("{} (task '{}')", message, task);
  } catch (const std::exception& x) {
    log().error("TaskGroup: could not report an error ({}): {}", message, x.what());
  }
}

} // namespace

class TaskGroupState final : public RefCounted {
public:
  explicit TaskGroupState(TaskBase& parent) : parent_(Ref<FutureStateBase>::share(&parent)) {}

  bool begin_create() {
    std::lock_guard g(mu_);
    if (exiting_ && idle_locked()) throw RuntimeError("TaskGroup is finished");
    // Step 6: a caller whose cancellation is still undelivered is in a run
    // that the abort overlapped (another loop aborted the group meanwhile).
    // In asyncio that run would have finished before the abort, so its
    // create_task succeeds and the new child is cancelled by end_create()
    // (step 2) before it starts; the caller gets CancelledError at its next
    // suspension point. A caller that has seen its CancelledError (or never
    // had one) gets asyncio's RuntimeError.
    if (aborting_ && !cancel_pending()) throw RuntimeError("TaskGroup is shutting down");
    ++creating_;
    return aborting_;
  }

  void abandon_create() noexcept {
    std::lock_guard g(mu_);
    --creating_;
    wake_exit_locked();
  }

  void end_create(const Ref<FutureStateBase>& child) {
    bool cancel_it = false;
    {
      std::lock_guard g(mu_);
      --creating_;
      tasks_.emplace(child.get(), child);
      cancel_it = aborting_; // step 2: the snapshot did not include it
    }
    // Always through the callback, even if the child already finished (an
    // eager child): asyncio gh-128550.
    child->add_done_callback([self = Ref<TaskGroupState>::share(this)](FutureStateBase* c) { self->on_task_done(*c); });
    if (cancel_it) child->cancel(std::string{});
  }

  /// asyncio's _aexit. Throws what the group raises; returns if nothing.
  void exit(std::exception_ptr body_error, bool cancelled) {
    std::exception_ptr propagate = cancelled ? body_error : nullptr;
    Children to_cancel;
    {
      std::lock_guard g(mu_);
      exiting_ = true;
      // The body failed or was cancelled: stop the children.
      if (body_error && !aborting_) to_cancel = abort_locked();
    }
    cancel_all(to_cancel);
    std::exception_ptr pending_cancel;
    drain(propagate, pending_cancel);
    if (parent_cancel_requested() && parent().uncancel() == 0) propagate = nullptr; // our own cancel, undone
    std::vector<std::exception_ptr> errors = take_errors();
    if (propagate && errors.empty()) std::rethrow_exception(propagate);
    if (body_error && !cancelled) errors.push_back(body_error);
    if (errors.empty()) return;
    if (parent().cancelling() > 0) {
      // 3.13: cancelled from outside as well: keep that request pending so an
      // enclosing timeout() still sees its cancellation.
      parent().uncancel();
      parent().cancel(std::string{});
    }
    throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(errors));
  }

  /// The RAII form left without join(): wait, report, never throw.
  void exit_quietly(bool unwinding) noexcept {
    Children to_cancel;
    {
      std::lock_guard g(mu_);
      exiting_ = true;
      if (unwinding && !aborting_) to_cancel = abort_locked();
    }
    cancel_all(to_cancel);
    std::exception_ptr propagate;
    std::exception_ptr pending_cancel;
    drain(propagate, pending_cancel);
    if (parent_cancel_requested()) parent().uncancel();
    for (const auto& e : take_errors())
      report("TaskGroup left without join(): a child failed", e, parent().name());
    if (pending_cancel && parent().cancelling() > 0) {
      // The wait swallowed a cancellation that is not ours: request it again
      // (same count) so it is raised at the parent's next suspension point.
      parent().uncancel();
      parent().cancel(std::string{});
    }
  }

  /// The parent is being torn down: cancel the children, do not wait.
  void abandon() noexcept {
    Children to_cancel;
    {
      std::lock_guard g(mu_);
      exiting_ = true;
      to_cancel = abort_locked();
    }
    cancel_all(to_cancel);
  }

private:
  TaskBase& parent() const noexcept { return static_cast<TaskBase&>(*parent_); }
  bool idle_locked() const noexcept { return tasks_.empty() && creating_ == 0; }

  void wake_exit_locked() {
    if (on_completed_ && idle_locked()) (void)on_completed_->set_result();
  }

  /// asyncio's _abort: mark aborting and return the children to cancel.
  Children abort_locked() {
    aborting_ = true;
    Children out;
    out.reserve(tasks_.size());
    for (const auto& [ptr, ref] : tasks_)
      if (!ref->done()) out.push_back(ref);
    return out;
  }

  bool parent_cancel_requested() {
    std::lock_guard g(mu_);
    return parent_cancel_requested_;
  }

  std::vector<std::exception_ptr> take_errors() {
    std::lock_guard g(mu_);
    return std::move(errors_);
  }

  /// Step 4: waits until no child is left. A CancelledError of the parent is
  /// recorded in `pending_cancel`, and in `propagate` if the group was not
  /// aborting yet (then it aborts).
  void drain(std::exception_ptr& propagate, std::exception_ptr& pending_cancel) {
    for (;;) {
      Ref<FutureState<void>> round;
      {
        std::lock_guard g(mu_);
        if (idle_locked()) {
          on_completed_.reset();
          return;
        }
        on_completed_ = Ref<FutureState<void>>::adopt(new FutureState<void>());
        round = on_completed_;
      }
      std::exception_ptr caught;
      try {
        round->wait();
        round->rethrow_if_failed();
      } catch (const CancelledError&) {
        caught = std::current_exception();
      }
      if (!caught) continue;
      pending_cancel = caught;
      Children to_cancel;
      {
        std::lock_guard g(mu_);
        if (!aborting_) {
          // The parent is being cancelled from outside while children run.
          propagate = caught;
          to_cancel = abort_locked();
        }
      }
      cancel_all(to_cancel);
    }
  }

  /// asyncio's _on_task_done, on the loop the child was created from.
  void on_task_done(FutureStateBase& child) {
    Children to_cancel;
    std::exception_ptr late;
    {
      std::lock_guard g(mu_);
      tasks_.erase(&child); // the callback's own reference keeps `child` alive
      wake_exit_locked();
      if (child.status() == Status::cancelled) return;
      std::exception_ptr e = failure_of(child);
      if (!e) return;
      errors_.push_back(e);
      if (parent_->done()) {
        late = e;
      } else if (!aborting_ && !parent_cancel_requested_) {
        // The first failure: stop the others and interrupt the body (step 3).
        to_cancel = abort_locked();
        parent_cancel_requested_ = true;
        parent().cancel(std::string{});
      }
    }
    cancel_all(to_cancel);
    if (late) report("a TaskGroup child failed after its parent task completed", late, parent().name());
  }

  SpinLock mu_; ///< guards everything below
  const Ref<FutureStateBase> parent_;
  /// Children whose done callback has not run yet.
  std::unordered_map<FutureStateBase*, Ref<FutureStateBase>> tasks_;
  int creating_ = 0; ///< step 1: create_task() calls in progress
  bool exiting_ = false;
  bool aborting_ = false;
  bool parent_cancel_requested_ = false;
  std::vector<std::exception_ptr> errors_;
  Ref<FutureState<void>> on_completed_;
};

} // namespace coreio::detail

namespace coreio {

namespace {
detail::TaskBase& parent_task() {
  detail::TaskBase* t = detail::current_task_base();
  if (!t) throw RuntimeError("TaskGroup cannot determine the parent task (use it inside a task)");
  return *t;
}
} // namespace

TaskGroup::TaskGroup()
    : s_(detail::Ref<detail::TaskGroupState>::adopt(new detail::TaskGroupState(parent_task()))),
      uncaught_at_enter_(std::uncaught_exceptions()) {}

TaskGroup::~TaskGroup() {
  if (exited_) return;
  exited_ = true;
  s_->exit_quietly(std::uncaught_exceptions() > uncaught_at_enter_);
}

void TaskGroup::join() {
  if (exited_) throw RuntimeError("TaskGroup has already been exited");
  exited_ = true;
  s_->exit(nullptr, false);
}

void TaskGroup::exit(std::exception_ptr body_error, bool cancelled) {
  if (exited_) throw RuntimeError("TaskGroup has already been exited");
  exited_ = true;
  s_->exit(std::move(body_error), cancelled);
}

void TaskGroup::abandon() noexcept {
  exited_ = true;
  s_->abandon();
}

bool TaskGroup::begin_create() { return s_->begin_create(); }

void TaskGroup::pin_doomed(TaskOptions& opts) {
  opts.eager = false;
  opts.pinned = true;
  opts.loop = &get_running_loop();
}
void TaskGroup::abandon_create() noexcept { s_->abandon_create(); }
void TaskGroup::end_create(const detail::Ref<detail::FutureStateBase>& child) { s_->end_create(child); }

} // namespace coreio
