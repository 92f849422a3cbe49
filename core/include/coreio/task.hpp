// Task<T>: a fiber-backed asyncio Task (a Future whose value a function computes).
//
// Thread safety: as Future<T>; cancel(), names and queries are safe from any thread.
// Resumes on: a task runs on one loop at a time. With work stealing an unpinned
// task may continue on another loop after any suspension point (see
// docs/asyncio_users.md "thread-locals and migration"); a pinned task never moves.
// Cancellation: cancel(msg) is delivered as CancelledError(msg) at the task's
// current or next suspension point; if the task is awaiting a future or task,
// that one is cancelled instead (asyncio's semantics). A task cancelled before
// it first runs never starts its body. The body may catch CancelledError,
// clean up and rethrow; if it swallows it the task completes normally.
// Throws: get()/result() rethrow the body's exception, or CancelledError.
#pragma once

#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "coreio/detail/access.hpp"
#include "coreio/detail/task_base.hpp"
#include "coreio/future.hpp"

namespace coreio {

class Loop;

/// Options of create_task (asyncio's name=, eager task factory, plus coreio's placement).
struct TaskOptions {
  /// asyncio's name=; default "Task-<n>".
  std::string name = {};
  /// Start the body synchronously, before create_task returns, up to its first
  /// suspension (asyncio 3.12's eager task factory). Only from inside a task;
  /// elsewhere the task is scheduled normally.
  bool eager = false;
  /// Never migrate: the task runs only on its loop (the spawning loop, or `loop`).
  bool pinned = false;
  /// Start on this loop (create_task from Loop::create_task pins to it).
  Loop* loop = nullptr;
};

namespace detail {

class ForcedUnwind {}; // thrown into a fiber the runtime tears down; never caught by coreio users

/// Places a new task on a loop according to the runtime's policy (core/src/task/spawn.cpp).
void spawn(TaskBase& task, TaskOptions&& opts);

template <class F>
using task_result_t = std::decay_t<std::invoke_result_t<std::decay_t<F>&>>;

template <class T, class F>
class TaskState final : public TaskBase, public ValueSlot<T> {
public:
  explicit TaskState(F&& f) : fn_(std::move(f)) {}
  explicit TaskState(const F& f) : fn_(f) {}

  void run_body() override {
    try {
      if constexpr (std::is_void_v<T>) {
        std::invoke(*fn_);
        fn_.reset(); // the body's captures die on the task, like a finished coroutine frame
        finish_returned([this] { this->value_.emplace(); });
      } else {
        auto v = std::invoke(*fn_);
        fn_.reset();
        finish_returned([&] { this->value_.emplace(std::move(v)); });
      }
    } catch (const ForcedUnwind&) {
      fn_.reset();
      throw;
    } catch (const CancelledError& e) {
      fn_.reset();
      finish_cancelled(e.message());
    } catch (...) {
      fn_.reset();
      finish_with_exception(std::current_exception());
    }
  }

private:
  std::optional<F> fn_;
};

} // namespace detail

/// An untyped handle to any task: what current_task() and all_tasks() return.
class TaskHandle {
public:
  TaskHandle() = default;
  explicit TaskHandle(detail::Ref<detail::FutureStateBase> s) : s_(std::move(s)) {}

  bool cancel(std::string msg = {}) { return s_->cancel(std::move(msg)); }
  [[nodiscard]] bool done() const noexcept { return s_->done(); }
  [[nodiscard]] bool cancelled() const noexcept { return s_->status() == detail::Status::cancelled; }
  [[nodiscard]] int cancelling() const noexcept { return base().cancelling(); }
  int uncancel() noexcept { return base().uncancel(); }
  [[nodiscard]] std::string get_name() const { return base().name(); }
  void set_name(std::string n) { base().set_name(std::move(n)); }
  [[nodiscard]] std::uint64_t id() const noexcept { return base().id(); }
  void wait() const { s_->wait(); }
  [[nodiscard]] std::exception_ptr exception() const { return s_->exception(); }
  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(s_); }
  friend bool operator==(const TaskHandle& a, const TaskHandle& b) noexcept { return a.s_ == b.s_; }

private:
  friend struct detail::Access;
  [[nodiscard]] detail::TaskBase& base() const noexcept { return static_cast<detail::TaskBase&>(*s_); }
  detail::Ref<detail::FutureStateBase> s_;
};

template <class T = void>
class Task : public Future<T> {
public:
  Task() = default;
  template <class F>
  explicit Task(detail::Ref<detail::TaskState<T, F>> s) : Future<T>(std::move(s)) {}

  [[nodiscard]] int cancelling() const noexcept { return base().cancelling(); }
  int uncancel() noexcept { return base().uncancel(); }
  [[nodiscard]] std::string get_name() const { return base().name(); }
  void set_name(std::string n) { base().set_name(std::move(n)); }

  /// Tasks are completed by their body only (asyncio raises RuntimeError).
  template <class... A>
  void set_result(A&&...) = delete;
  template <class E>
  void set_exception(E&&) = delete;

  [[nodiscard]] TaskHandle handle() const { return TaskHandle(detail::Access::state_ref(*this)); }
  operator TaskHandle() const { return handle(); }

private:
  [[nodiscard]] detail::TaskBase& base() const noexcept {
    return static_cast<detail::TaskBase&>(detail::Access::state(*this));
  }
};

/// asyncio.create_task: runs fn() as a new task. Returns Task<R> where R is
/// fn's (decayed) return type.
template <class F>
  requires std::invocable<std::decay_t<F>&>
auto create_task(F&& fn, TaskOptions opts = {}) -> Task<detail::task_result_t<F>> {
  using T = detail::task_result_t<F>;
  using State = detail::TaskState<T, std::decay_t<F>>;
  auto st = detail::Ref<State>::adopt(new State(std::forward<F>(fn)));
  Task<T> task(st);
  detail::spawn(*st, std::move(opts));
  return task;
}

/// asyncio.ensure_future for a callable: same as create_task.
template <class F>
  requires std::invocable<std::decay_t<F>&>
auto ensure_future(F&& fn, TaskOptions opts = {}) {
  return create_task(std::forward<F>(fn), std::move(opts));
}

/// The task running on the calling thread, or an empty handle outside tasks.
[[nodiscard]] TaskHandle current_task();

/// Every task of the calling task's runtime that is not done yet.
/// Throws RuntimeError outside a runtime.
[[nodiscard]] std::vector<TaskHandle> all_tasks();

} // namespace coreio
