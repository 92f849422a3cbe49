// run_coroutine_threadsafe: asyncio.run_coroutine_threadsafe(coro, loop).
//
// From any OS thread (a plain thread, another runtime's task, a pool thread),
// runs fn() as a task on `loop` and returns a Future for its outcome: a
// concurrent.futures Future, separate from the task, as in asyncio.
//
//   std::thread t([&loop] {
//     int v = coreio::run_coroutine_threadsafe([] { coreio::sleep(1ms); return 7; }, loop).get();
//   });
//
// The task is created pinned to `loop` (like loop.create_task) through the
// loop's MPSC inbox, which wakes the loop if it is parked. Its outcome is
// copied into the returned future by a done callback on the task; cancelling
// the returned future cancels the task (asyncio's _chain_future). Like asyncio
// (https://github.com/python/cpython/issues/105836) the future is cancelled at
// once; the task finishes its cancellation on its own afterwards.
//
// Thread safety: callable from any thread, concurrently.
// Resumes on: get() on the returned future blocks a plain thread until the
// task's loop completes it; from a task it suspends that task (it resumes on
// its own loop).
// Cancellation: see above; cancelling the task directly (all_tasks()) makes
// the future cancelled too.
// Throws: nothing itself: a failure to create the task (closed runtime) is
// stored in the returned future, as asyncio stores a task-factory error.
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

#include "coreio/detail/future_state.hpp"
#include "coreio/future.hpp"
#include "coreio/loop.hpp"
#include "coreio/task.hpp"

namespace coreio {

template <class F>
  requires std::invocable<std::decay_t<F>&>
Future<detail::task_result_t<F>> run_coroutine_threadsafe(F&& fn, Loop& loop) {
  using T = detail::task_result_t<F>;
  auto st = detail::Ref<detail::FutureState<T>>::adopt(new detail::FutureState<T>());
  Future<T> out(st, st.get());
  try {
    Task<T> task = loop.create_task(std::forward<F>(fn));
    // Task -> future: copy the outcome (moving the value out: nobody else
    // holds the task once this callback has run).
    task.add_done_callback([st](Future<T>& t) {
      if (t.cancelled()) {
        (void)st->cancel({});
        return;
      }
      if (std::exception_ptr e = t.exception()) {
        (void)st->set_exception(std::move(e));
        return;
      }
      if constexpr (std::is_void_v<T>) (void)st->set_result();
      else (void)st->set_result(std::move(t.result()));
    });
    // Future -> task: a cancelled future cancels the task (a no-op once done).
    out.add_done_callback([task](Future<T>& f) mutable {
      if (f.cancelled()) task.cancel();
    });
  } catch (...) {
    (void)st->set_exception(std::current_exception());
  }
  return out;
}

} // namespace coreio
