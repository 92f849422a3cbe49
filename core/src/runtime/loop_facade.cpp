// coreio::Loop, the public face of a LoopImpl (sched/loop_impl.hpp).
#include "coreio/loop.hpp"

#include <mutex>

#include "coreio/detail/asio_loop.hpp"
#include "runtime/log.hpp"
#include "runtime/runtime_impl.hpp"

namespace coreio {

using detail::LoopImpl;

Handle Loop::call_soon_impl(detail::Function<void()> fn) {
  if (is_closed()) throw RuntimeError("Event loop is closed");
  auto h = detail::Ref<detail::HandleState>::adopt(new detail::HandleState(std::move(fn)));
  impl_->post(h.get());
  return Handle(std::move(h));
}

TimerHandle Loop::call_at_impl(time_point when, detail::Function<void()> fn) {
  if (is_closed()) throw RuntimeError("Event loop is closed");
  auto h =
      detail::Ref<detail::HandleState>::adopt(new detail::HandleState(std::move(fn), detail::QueueLink::Kind::timer));
  h->when_ = when;
  impl_->post(h.get());
  return TimerHandle(std::move(h));
}

void Loop::bind_future(detail::FutureStateBase& state) noexcept { state.bind_loop(impl_); }

void Loop::wait_until_complete(detail::FutureStateBase& state) {
  if (detail::current_loop())
    throw RuntimeError("run_until_complete() cannot be called from a running event loop; use get()");
  const std::uint64_t gen = impl_->stop_generation();
  // Runs on the future's loop (or inline if it has none) and wakes us.
  const std::uint64_t id = state.add_done_callback([l = impl_](detail::FutureStateBase*) { l->notify_stop_waiters(); });
  const bool done = impl_->wait_stopped_or(gen, [&] { return state.done(); });
  state.remove_done_callback(id);
  if (!done) throw RuntimeError("Event loop stopped before Future completed.");
}

void Loop::run_forever() {
  if (detail::current_loop()) throw RuntimeError("run_forever() cannot be called from a running event loop");
  if (is_closed()) throw RuntimeError("Event loop is closed");
  impl_->run_forever_wait(impl_->runtime().closed_flag());
}

void Loop::stop() { impl_->stop_running(); }

void Loop::close() {
  if (!is_closed()) throw RuntimeError("Cannot close a running event loop (loops close with their Runtime)");
}

bool Loop::is_running() const noexcept { return !impl_->runtime().closed(); }
bool Loop::is_closed() const noexcept { return impl_->runtime().closed(); }

void Loop::set_exception_handler(ExceptionHandler handler) { impl_->set_exception_handler(std::move(handler)); }

Loop::ExceptionHandler Loop::get_exception_handler() const { return impl_->exception_handler(); }

void Loop::call_exception_handler(const ExceptionContext& context) {
  ExceptionHandler h = get_exception_handler();
  if (!h) {
    default_exception_handler(context);
    return;
  }
  try {
    h(*this, context);
  } catch (...) {
    // asyncio: a failing handler is reported, then the default one runs.
    default_exception_handler(
        {.message = "Unhandled error in exception handler", .exception = std::current_exception()});
    default_exception_handler(context);
  }
}

void Loop::default_exception_handler(const ExceptionContext& context) {
  const std::string what = context.exception ? ": " + detail::describe_exception(context.exception) : "";
  detail::log().error("{}{}{}{}", context.message, context.task.empty() ? "" : " (task '" + context.task + "')",
                      context.future.empty() ? "" : " (" + context.future + ")", what);
}

void Loop::set_debug(bool enabled) noexcept { impl_->set_debug(enabled); }
bool Loop::get_debug() const noexcept { return impl_->debug(); }
std::size_t Loop::index() const noexcept { return impl_->index(); }
Runtime& Loop::runtime() const noexcept { return impl_->runtime().facade(); }
boost::asio::io_context& Loop::io_context() const noexcept { return impl_->io_context(); }

Loop& get_running_loop() {
  LoopImpl* l = detail::current_loop();
  if (!l) throw RuntimeError("no running event loop");
  return l->facade();
}

Loop& get_event_loop() { return get_running_loop(); }

} // namespace coreio

namespace coreio::detail {
boost::asio::io_context& io_context_of(Loop& loop) noexcept { return detail::Access::impl(loop).io_context(); }
} // namespace coreio::detail
