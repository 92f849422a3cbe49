// JoinSet<T>: a set of tasks whose outcomes are collected in completion order
// (Tokio's JoinSet). An extension to asyncio: a TaskGroup whose children are
// joined one at a time, never aborted by a sibling's failure.
//
//   coreio::JoinSet<int> set;
//   for (int i = 0; i < 10; ++i) set.spawn([i] { return fetch(i); });
//   set.spawn_on(rt.loop(1), [] { return 42; });
//   while (auto r = set.join_next()) {   // nullopt once the set is empty
//     if (r->cancelled()) continue;      // an aborted task
//     use(r->value());                   // rethrows the task's exception
//   }
//
// join_next() removes the next finished task from the set and returns its
// outcome as a Result<T>: its value, its exception, or CancelledError if it
// was cancelled (nothing is swallowed). It returns nullopt when the set is
// empty. Tasks may run and finish on any loop; each finished task is handed
// to exactly one join_next()/try_join_next() call.
//
// Compared with TaskGroup: a JoinSet has no parent and no error policy. A
// failing task does not cancel the others; the set does not wait unless
// asked (join_next(), shutdown()); leaving its scope aborts what is left
// without waiting (as Tokio's drop does), so tasks never outlive their set
// unnoticed but may still be unwinding when the destructor returns.
//
// Thread safety: distinct objects: safe. Shared objects: every member is safe
// from any task or thread, concurrently; several tasks may join the same set.
// Resumes on: a task waiting in join_next() is woken by the done callback of
// the finishing task, which runs on the loop that spawned it (or inline on
// the finishing thread if it was spawned from a plain thread); the waiter is
// posted to its own loop, never run on that stack.
// Cancellation: cancelling a task waiting in join_next() raises CancelledError
// there and consumes nothing: a task that finished meanwhile stays in the set
// for the next join_next() (and another waiter is woken for it). shutdown()
// keeps waiting for every task when cancelled, then raises CancelledError.
// Throws: join_next() and shutdown() throw CancelledError if the waiting task
// is cancelled, RuntimeError from a loop callback outside any task (it would
// block the loop); spawn() throws what create_task() throws.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "coreio/abort_handle.hpp"
#include "coreio/detail/awaitable.hpp"
#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"
#include "coreio/loop.hpp"
#include "coreio/result.hpp"
#include "coreio/task.hpp"

namespace coreio {

namespace detail {

/// The untyped machinery of a JoinSet (core/src/control/join_set.cpp).
class JoinSetCore final : public RefCounted {
public:
  /// A member task and where its value lives (its ValueSlot<T>).
  struct Entry {
    Ref<FutureStateBase> task;
    void* slot = nullptr;
  };

  /// Adds a task; its done callback will move it to the finished queue.
  void add(const Ref<FutureStateBase>& task, void* slot);
  /// Waits for the next finished task; nullopt once the set is empty.
  std::optional<Entry> join_next();
  /// The next finished task if there is one now; never waits.
  std::optional<Entry> try_join_next();
  /// Cancels every task not finished yet (they stay in the set).
  void abort_all();
  /// Forgets every task (they keep running); wakes joiners of the empty set.
  void detach_all();
  [[nodiscard]] std::size_t size() const;

private:
  void on_done(FutureStateBase& task);
  /// Under mu_: the next finished task, or nullopt.
  std::optional<Entry> pop_done_locked();

  mutable SpinLock mu_; ///< guards everything below
  /// Members not finished yet (their done callback has not run), with the
  /// callback's id for detach_all().
  std::unordered_map<FutureStateBase*, std::pair<Entry, std::uint64_t>> running_;
  std::deque<Entry> done_; ///< finished, not joined yet, in completion order
  WaitList waiters_; ///< tasks and threads blocked in join_next()
};

} // namespace detail

template <class T = void>
class JoinSet {
public:
  JoinSet() = default;
  /// Aborts the tasks still running, without waiting for them.
  ~JoinSet() {
    if (core_) core_->abort_all();
  }
  JoinSet(JoinSet&&) noexcept = default;
  JoinSet& operator=(JoinSet&&) = delete;
  JoinSet(const JoinSet&) = delete;
  JoinSet& operator=(const JoinSet&) = delete;

  /// Runs fn as a new task of this set (create_task's options apply).
  /// fn's result must convert to T (any result, for T = void).
  template <class F>
  requires std::invocable < std::decay_t<F>
  & > &&(std::is_void_v<T> || std::convertible_to<detail::task_result_t<F>, T>)AbortHandle
      spawn(F&& fn, TaskOptions opts = {}) {
    if constexpr (std::is_same_v<detail::task_result_t<F>, T>) {
      return add(std::forward<F>(fn), std::move(opts));
    } else {
      return add([f = std::decay_t<F>(std::forward<F>(fn))]() mutable -> T { return static_cast<T>(f()); },
                 std::move(opts));
    }
  }
  /// spawn(), starting on `loop` and pinned to it (Loop::create_task).
  template <class F>
  requires std::invocable < std::decay_t<F>
  & > AbortHandle spawn_on(Loop& loop, F&& fn, TaskOptions opts = {}) {
    opts.loop = &loop;
    opts.pinned = true;
    return spawn(std::forward<F>(fn), std::move(opts));
  }

  /// Waits for the next task to finish and returns its outcome; nullopt if
  /// the set is empty.
  std::optional<Result<T>> join_next() { return outcome(core_->join_next()); }
  /// The outcome of a task that has finished, if any; never waits.
  std::optional<Result<T>> try_join_next() { return outcome(core_->try_join_next()); }
  /// Cancels every task of the set; their outcomes (CancelledError, or what
  /// a task that caught it returned) still come out of join_next().
  void abort_all() { core_->abort_all(); }
  /// Removes every task from the set without cancelling it.
  void detach_all() { core_->detach_all(); }
  /// Aborts every task and waits until all have finished; the set is empty after.
  void shutdown();

  /// Tasks in the set: running, or finished and not joined yet.
  [[nodiscard]] std::size_t size() const { return core_->size(); }
  [[nodiscard]] bool empty() const { return size() == 0; }

private:
  template <class G>
  AbortHandle add(G&& g, TaskOptions opts) {
    using State = detail::TaskState<T, std::decay_t<G>>;
    auto st = detail::Ref<State>::adopt(new State(std::forward<G>(g)));
    Task<T> task(st);
    detail::spawn(*st, std::move(opts));
    core_->add(detail::Access::state_ref(task), static_cast<detail::ValueSlot<T>*>(st.get()));
    return AbortHandle(task);
  }

  static std::optional<Result<T>> outcome(std::optional<detail::JoinSetCore::Entry> e) {
    if (!e) return std::nullopt;
    // The set holds the only handle that reads the result: move it out.
    Future<T> f(std::move(e->task), static_cast<detail::ValueSlot<T>*>(e->slot));
    return detail::take_outcome<true>(f);
  }

  detail::Ref<detail::JoinSetCore> core_ = detail::Ref<detail::JoinSetCore>::adopt(new detail::JoinSetCore());
};

template <class T>
void JoinSet<T>::shutdown() {
  std::exception_ptr cancelled;
  for (;;) {
    core_->abort_all();
    try {
      while (core_->join_next()) {}
      break;
    } catch (const CancelledError&) {
      cancelled = std::current_exception(); // keep waiting: the tasks must finish first
    }
  }
  if (cancelled) std::rethrow_exception(cancelled);
}

} // namespace coreio
