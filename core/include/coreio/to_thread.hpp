// to_thread: asyncio.to_thread(func, *args), on the runtime's default
// blocking pool.
//
// The default blocking pool belongs to the Runtime and follows Tokio's
// spawn_blocking model (core/src/pools/thread_pool.hpp): threads are created on
// demand, up to RuntimeConfig::max_blocking_threads (default 512), and an
// idle thread retires after RuntimeConfig::blocking_keep_alive (default
// 10 s). Jobs beyond the bound wait in a FIFO queue. The same pool serves
// loop.run_in_executor(nullptr, ...). Runtime::close() and coreio::run()
// shut it down after cancelling the pending tasks, waiting for the jobs still
// running (asyncio.run's shutdown_default_executor); so does
// Loop::shutdown_default_executor().
//
//   std::string blocking_io() { std::this_thread::sleep_for(2s); return "done"; }
//   coreio::run([] { std::string r = coreio::to_thread(blocking_io); });
//
// Thread safety: call from a task (any loop, any runtime shape).
// Resumes on: the calling task is posted back to its loop (through the loop's
// inbox) by the pool thread that finished the call; an unpinned task may then
// continue on another loop, as after any suspension.
// Cancellation: cancelling the calling task raises CancelledError in it at
// once; the call itself keeps running on its thread to the end (threads
// cannot be interrupted; asyncio behaves the same) and its outcome is
// dropped. A call still queued when the task is cancelled never starts.
// Throws: whatever func throws (the same exception object, rethrown in the
// task); RuntimeError outside a task, or after shutdown_default_executor()
// ("Executor shutdown has been called"); CancelledError.
#pragma once

#include <type_traits>
#include <utility>

#include "coreio/context_var.hpp"
#include "coreio/executor.hpp"
#include "coreio/loop.hpp"

namespace coreio {

/// asyncio.to_thread(func, *args): runs fn(args...) (arguments decay-copied)
/// on the default blocking pool with a copy of the calling task's contextvars
/// context, suspends the task until it returns, and returns its value.
template <class F, class... A>
  requires std::invocable<std::decay_t<F>&, std::decay_t<A>...>
detail::call_result_t<F, A...> to_thread(F&& fn, A&&... args) {
  Loop& loop = get_running_loop();
  auto [fut, job] = detail::make_executor_job(
      [ctx = detail::current_context(), fn = std::forward<F>(fn)](auto&&... a) mutable -> decltype(auto) {
        detail::ContextScope scope(ctx);
        return std::invoke(fn, std::forward<decltype(a)>(a)...);
      },
      std::forward<A>(args)...);
  detail::submit_to_default_executor(loop, std::move(job));
  if constexpr (std::is_void_v<detail::call_result_t<F, A...>>) {
    fut.get();
  } else {
    return std::move(fut.get());
  }
}

} // namespace coreio
