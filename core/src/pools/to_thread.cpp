// The runtime's default blocking pool seen from the loops: run_in_executor(
// nullptr) / to_thread submissions and asyncio's shutdown_default_executor.
// The pool itself is thread_pool.cpp; RuntimeImpl owns it and shuts it down
// in close().
#include "coreio/to_thread.hpp"

#include <chrono>

#include "runtime/log.hpp"
#include "sched/loop_impl.hpp"
#include "runtime/runtime_impl.hpp"

namespace coreio::detail {

void submit_to_default_executor(Loop& loop, ExecutorJob job) {
  RuntimeImpl& rt = detail::Access::impl(loop).runtime();
  if (rt.closed()) throw RuntimeError("Executor shutdown has been called");
  rt.blocking_pool().execute(std::move(job));
}

} // namespace coreio::detail

namespace coreio {

void Loop::shutdown_default_executor(std::optional<std::chrono::nanoseconds> timeout) {
  detail::ThreadPool& pool = impl_->runtime().blocking_pool();
  // Completed by the pool's last exiting thread (or now, if it has none):
  // the waiting task is posted back to its loop, a plain thread unparked.
  auto drained = detail::Ref<detail::FutureState<bool>>::adopt(new detail::FutureState<bool>());
  Future<bool> done(drained, drained.get());
  pool.shutdown_begin(/*cancel_futures=*/false, [drained] { (void)drained->set_result(true); });
  if (timeout) {
    // asyncio 3.12: past the timeout, warn and return; the threads go on and
    // Runtime::close() joins them.
    call_later(*timeout, [drained] { (void)drained->set_result(false); });
  }
  if (!done.get()) {
    detail::log().warn("The executor did not finish joining its threads within {:.3f} seconds.",
                       std::chrono::duration<double>(*timeout).count());
  }
}

} // namespace coreio
