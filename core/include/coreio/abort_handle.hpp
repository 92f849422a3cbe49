// AbortHandle: cancel a task without owning its result (Tokio's AbortHandle).
// An extension to asyncio, where holding the task is the only way to cancel it.
//
//   coreio::JoinSet<int> set;
//   coreio::AbortHandle h = set.spawn([] { return work(); });
//   h.abort();                                  // the set reports it cancelled
//   coreio::AbortHandle h2(some_task);          // from an existing Task
//
// Thread safety: distinct and shared objects: every member is safe from any
// thread (the task's state is locked internally).
// Resumes on: nothing waits on an AbortHandle.
// Cancellation: abort() is task.cancel(): CancelledError is delivered at the
// task's next suspension point (a task not started yet never starts its body);
// the task may catch it and finish anyway. Whoever holds the task, or the
// JoinSet that spawned it, sees the outcome.
// Throws: nothing.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "coreio/task.hpp"

namespace coreio {

class AbortHandle {
public:
  AbortHandle() = default;
  /// The handle of an existing task.
  template <class T>
  explicit AbortHandle(const Task<T>& task) : t_(task.handle()) {}
  explicit AbortHandle(TaskHandle task) : t_(std::move(task)) {}

  /// Requests cancellation; false if the task is already done (or the handle is empty).
  bool abort(std::string msg = {}) { return t_ && t_.cancel(std::move(msg)); }
  /// True once the task is done (with a value, an exception or cancelled).
  [[nodiscard]] bool is_finished() const noexcept { return !t_ || t_.done(); }
  /// The task's id (TaskHandle::id(), as in all_tasks()); 0 for an empty handle.
  [[nodiscard]] std::uint64_t id() const noexcept { return t_ ? t_.id() : 0; }
  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(t_); }

private:
  TaskHandle t_;
};

} // namespace coreio
