// TaskGroup / task_group: asyncio.TaskGroup, structured concurrency.
//
//   auto total = coreio::task_group([&](coreio::TaskGroup& tg) {
//     auto a = tg.create_task([] { return fetch("a"); });
//     auto b = tg.create_task([] { return fetch("b"); }, {.loop = &rt.loop(1)});
//     return 0;
//   }); // here every child is done
//
// task_group(body) is `async with TaskGroup() as tg: body(tg)`. The group
// belongs to the calling task (its parent). When the body ends, the group
// waits for all children. The first child that fails with an exception other
// than CancelledError cancels every other child and the parent task once
// (so the body stops at its next suspension point); the parent's cancel
// count is restored with uncancel() when the group exits. The group then
// raises ExceptionGroup("unhandled errors in a TaskGroup", errors): every
// child failure, plus the body's own exception if it was not a
// CancelledError. The cancellations the group caused are not collected.
// If the parent is cancelled from outside while nothing failed, the children
// are cancelled, the group still waits for all of them, and CancelledError
// propagates. If there are errors and the parent still has cancel requests
// pending, the parent is re-cancelled so an enclosing timeout() still fires
// (3.13). Split the ExceptionGroup by type with ExceptionGroup::split<E>()
// (the `except*` use case).
//
// The RAII form is the same group without the lambda:
//   coreio::TaskGroup tg;
//   tg.create_task(...);
//   tg.join(); // __aexit__: waits, raises ExceptionGroup or CancelledError
// If the scope is left without join() (an exception, an early return), the
// destructor cancels the children still running (only when leaving by an
// exception), waits for them all, and reports their failures through the
// loop's exception handler instead of raising (a destructor cannot raise
// during unwinding). Prefer task_group() or call join().
//
// Thread safety: create_task() may be called from any task (children
// commonly add siblings), concurrently; the group's state is locked.
// Resumes on: the parent, waiting in the exit, is woken by the last child's
// done callback (on the loop where that child was created).
// Cancellation: see above; the exit keeps waiting for the children even while
// the parent is cancelled again.
// Throws: ExceptionGroup, CancelledError; create_task throws RuntimeError if
// the group has not been entered, is finished, or is shutting down (a
// failure already cancelled it); TaskGroup() throws RuntimeError outside a task.
// Several loops: a child (or the parent) still running when a failure on
// another loop aborts the group has not seen its CancelledError yet; until
// it does, its create_task() returns a task that is cancelled before it
// starts, as asyncio's child got (its run would have ended before the
// abort), and the caller gets CancelledError at its next suspension point.
// Once it has seen its CancelledError, create_task() raises RuntimeError
// ("TaskGroup is shutting down"), on one loop and on several.
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "coreio/detail/ref.hpp"
#include "coreio/detail/task_base.hpp"
#include "coreio/exceptions.hpp"
#include "coreio/task.hpp"

namespace coreio {

namespace detail {
class TaskGroupState;
} // namespace detail

class TaskGroup {
public:
  /// __aenter__: the group belongs to the calling task.
  TaskGroup();
  /// Without join(): see the file comment (never throws).
  ~TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  /// asyncio's TaskGroup.create_task: a child task of this group.
  template <class F>
    requires std::invocable<std::decay_t<F>&>
  auto create_task(F&& fn, TaskOptions opts = {}) -> Task<detail::task_result_t<F>> {
      if (begin_create()) pin_doomed(opts);
      Task<detail::task_result_t<F>> task;
      try {
        task = coreio::create_task(std::forward<F>(fn), std::move(opts));
      } catch (...) {
        abandon_create();
        throw;
      }
      end_create(detail::Access::state_ref(task));
      return task;
  }

  /// Leaves the group normally (asyncio's __aexit__ without an exception):
  /// waits for every child, then raises as the file comment says.
  void join();

  // ---- internal: the task_group() scope ----
  /// __aexit__ with the body's exception (nullptr: none); `cancelled`: it is
  /// a CancelledError. Returns normally only if nothing is to be raised.
  void exit(std::exception_ptr body_error, bool cancelled);
  /// The body is being torn down by the runtime: cancel the children, no wait.
  void abandon() noexcept;

private:
  /// Reserves a slot; true if the new child will be cancelled before it
  /// starts (the group is aborting and the caller's run overlapped it).
  bool begin_create();
  /// A doomed child starts on the caller's loop, pinned and not eager: that
  /// loop is busy with the caller until end_create() has cancelled it, so no
  /// loop can start its body first.
  static void pin_doomed(TaskOptions& opts);
  void abandon_create() noexcept;
  void end_create(const detail::Ref<detail::FutureStateBase>& child);

  detail::Ref<detail::TaskGroupState> s_;
  int uncaught_at_enter_;
  bool exited_ = false;
};

namespace detail {
template <class F>
using group_result_t = std::decay_t<std::invoke_result_t<F&, TaskGroup&>>;
} // namespace detail

/// `async with asyncio.TaskGroup() as tg: return body(tg)`.
template <class F>
  requires std::invocable<F&, TaskGroup&>
auto task_group(F&& body) -> detail::group_result_t<F> {
  using R = detail::group_result_t<F>;
  TaskGroup tg;
  std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> result;
  std::exception_ptr error;
  bool cancelled = false;
  try {
    if constexpr (std::is_void_v<R>) {
      std::invoke(body, tg);
      result.emplace(true);
    } else {
      result.emplace(std::invoke(body, tg));
    }
  } catch (const detail::ForcedUnwind&) {
    tg.abandon();
    throw;
  } catch (const CancelledError&) {
    error = std::current_exception();
    cancelled = true;
  } catch (...) {
    error = std::current_exception();
  }
  // Outside the handlers: the exit suspends while it waits for the children.
  tg.exit(error, cancelled);
  // exit() raises whenever the body raised (its error, an ExceptionGroup
  // holding it, or CancelledError); this only guards that invariant.
  if (!result) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<R>) return std::move(*result);
}

} // namespace coreio
