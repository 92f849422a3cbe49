// Executor and loop.run_in_executor: handing a plain callable to threads
// outside the loops and getting its outcome back as a Future.
//
// An Executor (concurrent.futures.Executor) runs type-erased jobs on threads
// it owns. submit(fn, args...) packs the call and a fresh Future<R> into one
// ExecutorJob; the executor runs job.run() on one of its threads, which
// completes the future. Completion wakes whoever waits on it through the
// future (future_state.hpp): a task is posted to its loop's run queue (the
// loop's MPSC inbox when the completing thread is a pool thread), a plain
// thread is unparked. Exceptions cross back intact as std::exception_ptr.
//
// A job whose future is already done when a thread picks it up (cancelled by
// its awaiting task, or by shutdown(cancel_futures)) is skipped, as
// concurrent.futures skips a cancelled work item. Once running, a job runs to
// the end: cancelling its future only makes the waiter stop waiting.
//
// loop.run_in_executor(executor, fn, args...) is declared in loop.hpp and
// defined here: `nullptr` is the runtime's default blocking pool (Tokio's
// spawn_blocking model, see to_thread.hpp); any type with a
// `submit(fn, args...)` returning a Future works, which covers Executor
// subclasses (ThreadPoolExecutor, user executors) and ProcessPoolExecutor.
//
// Thread safety: submit() and shutdown() may be called from any thread, in a
// task or not. A derived class's destructor must shut it down (waiting).
// Resumes on: the waiter of the returned future resumes on its loop, posted
// there by the thread that completed the future; never on that thread's stack.
// Cancellation: cancelling the future (or the task awaiting it) never stops a
// running job; a queued job is skipped.
// Throws: submit() throws RuntimeError after shutdown(). The future holds
// whatever fn threw.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "coreio/context_var.hpp"
#include "coreio/detail/function.hpp"
#include "coreio/detail/future_state.hpp"
#include "coreio/future.hpp"
#include "coreio/loop.hpp"

namespace coreio {

namespace detail {

/// One call handed to an executor: `run` performs it and completes `future`.
struct ExecutorJob {
  Function<void()> run;
  /// The call's future: a job whose future is done is skipped; shutdown with
  /// cancel_futures cancels the futures of queued jobs.
  Ref<FutureStateBase> future;

  /// Runs the call unless its future is already done (cancelled).
  void operator()() {
    if (future && future->done()) return;
    run();
  }
};

template <class F, class... A>
using call_result_t = std::decay_t<std::invoke_result_t<std::decay_t<F>&, std::decay_t<A>...>>;

/// Installs `ctx` as the calling thread's contextvars context for one call and
/// restores the previous one after it (to_thread's `ctx.run(func, ...)`).
class ContextScope {
public:
  explicit ContextScope(std::shared_ptr<const ContextData> ctx) : saved_(current_context()) {
    set_current_context(std::move(ctx));
  }
  ~ContextScope() { set_current_context(std::move(saved_)); }
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

private:
  std::shared_ptr<const ContextData> saved_;
};

/// Packs fn(args...) (decay-copied, like std::thread) into a job and its future.
template <class F, class... A>
auto make_executor_job(F&& fn, A&&... args) -> std::pair<Future<call_result_t<F, A...>>, ExecutorJob> {
  using R = call_result_t<F, A...>;
  auto st = Ref<FutureState<R>>::adopt(new FutureState<R>());
  Future<R> fut(st, st.get());
  auto call = [st, fn = std::forward<F>(fn), args = std::make_tuple(std::forward<A>(args)...)]() mutable {
    try {
      // set_result()/set_exception() return false if the future was cancelled
      // meanwhile: the outcome is then dropped, as asyncio drops it.
      if constexpr (std::is_void_v<R>) {
        std::apply(fn, std::move(args));
        (void)st->set_result();
      } else {
        (void)st->set_result(std::apply(fn, std::move(args)));
      }
    } catch (...) {
      (void)st->set_exception(std::current_exception());
    }
  };
  return {std::move(fut), ExecutorJob{std::move(call), std::move(st)}};
}

/// Hands a job to the default blocking pool of `loop`'s runtime.
/// Throws RuntimeError("Executor shutdown has been called") after
/// shutdown_default_executor() or once the runtime is closing down.
void submit_to_default_executor(Loop& loop, ExecutorJob job);

} // namespace detail

/// concurrent.futures.Executor for in-process callables.
///
/// Subclasses implement execute() (run a job on some thread, or throw
/// RuntimeError after shutdown) and shutdown(). ProcessPoolExecutor is not an
/// Executor in this sense: its calls cross a process boundary, so it takes
/// registered functions only (process_pool_executor.hpp); run_in_executor
/// accepts it all the same.
class Executor {
public:
  Executor() = default;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  virtual ~Executor() = default;

  /// concurrent.futures Executor.submit(fn, *args): schedules fn(args...)
  /// (arguments decay-copied) and returns its Future. get() on it suspends a
  /// task or blocks a plain thread.
  template <class F, class... A>
    requires std::invocable<std::decay_t<F>&, std::decay_t<A>...>
  Future<detail::call_result_t<F, A...>> submit(F&& fn, A&&... args) {
    auto [fut, job] = detail::make_executor_job(std::forward<F>(fn), std::forward<A>(args)...);
    execute(std::move(job));
    return std::move(fut);
  }

  /// concurrent.futures Executor.shutdown(wait=True, *, cancel_futures=False):
  /// no new submissions; with `cancel_futures` the futures of jobs not yet
  /// started are cancelled; with `wait` returns once every job has finished.
  /// Idempotent. From a task, a waiting shutdown blocks the loop thread while
  /// it waits: call it from a plain thread or through to_thread if jobs are long.
  virtual void shutdown(bool wait = true, bool cancel_futures = false) = 0;

protected:
  /// Runs job() on some thread, exactly once, or throws RuntimeError (shut down).
  virtual void execute(detail::ExecutorJob job) = 0;
};

// ---- Loop::run_in_executor (declared in loop.hpp) ----

template <class E, class F, class... A>
  requires requires(E* e, F&& f, A&&... a) { e->submit(std::forward<F>(f), std::forward<A>(a)...); }
auto Loop::run_in_executor(E* executor, F&& fn, A&&... args) {
  if (!executor) return run_in_executor(nullptr, std::forward<F>(fn), std::forward<A>(args)...);
  return executor->submit(std::forward<F>(fn), std::forward<A>(args)...);
}

template <class F, class... A>
  requires std::invocable<std::decay_t<F>&, std::decay_t<A>...>
auto Loop::run_in_executor(std::nullptr_t, F&& fn, A&&... args) {
  auto [fut, job] = detail::make_executor_job(std::forward<F>(fn), std::forward<A>(args)...);
  detail::submit_to_default_executor(*this, std::move(job));
  return std::move(fut);
}

} // namespace coreio
