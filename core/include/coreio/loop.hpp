// Loop: one event loop (asyncio's AbstractEventLoop): an OS thread running its
// own Boost.Asio io_context, its run queues, its timers and its callbacks.
//
// Loops are created and owned by a Runtime; every loop runs on its own thread
// from the runtime's construction to its close(). Callbacks (call_soon,
// call_later, call_at, done callbacks) belong to their loop and run there, in
// FIFO order, exactly once; tasks may migrate between loops with work stealing.
//
// Thread safety: every member may be called from any thread. call_soon from a
// thread that is not this loop's goes through the loop's MPSC inbox, exactly
// like call_soon_threadsafe (asyncio only makes the latter thread-safe; coreio
// makes both safe because tasks migrate between threads).
// Throws: RuntimeError on a closed loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "coreio/detail/function.hpp"
#include "coreio/future.hpp"
#include "coreio/handle.hpp"
#include "coreio/task.hpp"

namespace boost::asio {
class io_context;
}

namespace coreio {

class Runtime;
namespace detail {
class LoopImpl;
}

/// asyncio's exception handler context dict, as a struct.
struct ExceptionContext {
  std::string message;
  std::exception_ptr exception = nullptr;
  /// Name of the task involved, if any.
  std::string task = {};
  /// Description of the future involved, if any.
  std::string future = {};
};

class Loop {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;
  using ExceptionHandler = std::function<void(Loop&, const ExceptionContext&)>;

  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// Schedule fn() to run on this loop soon (FIFO with other callbacks).
  template <class F>
    requires std::invocable<std::decay_t<F>&>
  Handle call_soon(F&& fn) {
    return call_soon_impl(detail::Function<void()>(std::forward<F>(fn)));
  }
  /// asyncio's only thread-safe scheduling call; here identical to call_soon.
  template <class F>
    requires std::invocable<std::decay_t<F>&>
  Handle call_soon_threadsafe(F&& fn) {
    return call_soon_impl(detail::Function<void()>(std::forward<F>(fn)));
  }
  /// Run fn() after `delay` (negative = as soon as possible).
  template <class F>
    requires std::invocable<std::decay_t<F>&>
  TimerHandle call_later(std::chrono::nanoseconds delay, F&& fn) {
    return call_at(time() + delay, std::forward<F>(fn));
  }
  template <class Rep, class Period, class F>
  TimerHandle call_later(std::chrono::duration<Rep, Period> delay, F&& fn) {
    return call_later(std::chrono::duration_cast<std::chrono::nanoseconds>(delay), std::forward<F>(fn));
  }
  /// Run fn() when time() reaches `when`. Timers with equal `when` run in an unspecified order.
  template <class F>
    requires std::invocable<std::decay_t<F>&>
  TimerHandle call_at(time_point when, F&& fn) {
    return call_at_impl(when, detail::Function<void()>(std::forward<F>(fn)));
  }

  /// The loop's clock: std::chrono::steady_clock (asyncio's time.monotonic()).
  [[nodiscard]] time_point time() const noexcept { return clock::now(); }

  /// A pending Future bound to this loop.
  template <class T = void>
  [[nodiscard]] Future<T> create_future() {
    Future<T> f;
    bind_future(detail::Access::state(f));
    return f;
  }

  /// A task that starts on this loop and never leaves it (pinned).
  template <class F>
  auto create_task(F&& fn, TaskOptions opts = {}) {
    opts.loop = this;
    opts.pinned = true;
    return coreio::create_task(std::forward<F>(fn), std::move(opts));
  }

  /// asyncio loop.run_in_executor(executor, fn, *args): fn(args...) runs on
  /// `executor` (anything with submit(fn, args...), e.g. ThreadPoolExecutor,
  /// ProcessPoolExecutor) and its Future is returned; get() awaits it.
  /// Defined in coreio/executor.hpp (include it, or coreio/coreio.hpp).
  template <class E, class F, class... A>
    requires requires(E* e, F&& f, A&&... a) { e->submit(std::forward<F>(f), std::forward<A>(a)...); }
  auto run_in_executor(E* executor, F&& fn, A&&... args);
  /// run_in_executor(nullptr, ...): the runtime's default blocking pool
  /// (to_thread.hpp). No contextvars propagation (asyncio's rule).
  template <class F, class... A>
    requires std::invocable<std::decay_t<F>&, std::decay_t<A>...>
  auto run_in_executor(std::nullptr_t, F&& fn, A&&... args);
  /// asyncio loop.shutdown_default_executor(timeout): no new jobs on the
  /// runtime's default blocking pool; suspends the calling task (or blocks a
  /// plain thread) until its running and queued jobs have finished, or until
  /// `timeout` passes (then logs a warning and returns). Later to_thread /
  /// run_in_executor(nullptr) calls raise RuntimeError. Defined in to_thread.cpp.
  void shutdown_default_executor(std::optional<std::chrono::nanoseconds> timeout = std::nullopt);

  /// Blocks the calling thread (not a task: RuntimeError) until f is done,
  /// then returns its result. Raises RuntimeError if stop() ends the wait first.
  template <class T>
  decltype(auto) run_until_complete(const Future<T>& f) {
    wait_until_complete(detail::Access::state(f));
    return f.result();
  }
  /// Blocks the calling thread until stop() is called.
  void run_forever();
  /// Ends the current run_forever()/run_until_complete() waits on this loop.
  void stop();
  /// RuntimeError while the loop runs: loops close with their Runtime.
  void close();
  [[nodiscard]] bool is_running() const noexcept;
  [[nodiscard]] bool is_closed() const noexcept;

  void set_exception_handler(ExceptionHandler handler);
  [[nodiscard]] ExceptionHandler get_exception_handler() const;
  /// Calls the handler (or the default one if none, or if the handler throws).
  void call_exception_handler(const ExceptionContext& context);
  /// Logs the context through spdlog (logger "coreio", level error).
  void default_exception_handler(const ExceptionContext& context);

  void set_debug(bool enabled) noexcept;
  [[nodiscard]] bool get_debug() const noexcept;

  /// This loop's position in its runtime, 0..loops-1.
  [[nodiscard]] std::size_t index() const noexcept;
  [[nodiscard]] Runtime& runtime() const noexcept;

  /// The Boost.Asio io_context this loop runs on its thread, for Asio-based
  /// libraries (Boost.Beast, ...) used from coreio tasks through use_task:
  ///
  ///     boost::asio::ip::tcp::socket s(coreio::get_running_loop().io_context());
  ///     s.async_connect(endpoint, coreio::use_task);   // suspends the task
  ///
  /// `io_context().get_executor()` is the loop's executor. Include
  /// <boost/asio/io_context.hpp> (or coreio/use_task.hpp) to use it; loop.hpp
  /// itself only forward-declares the class.
  /// Thread safety: the reference is valid until the Runtime is destroyed. The
  /// io_context is run by this loop's thread only: objects created on it
  /// complete their handlers there; operations may be initiated from any
  /// task (use_task posts the initiation to the object's loop). Do not call
  /// run()/stop()/restart() on it: the loop drives it.
  [[nodiscard]] boost::asio::io_context& io_context() const noexcept;

private:
  friend class detail::LoopImpl;
  friend struct detail::Access;
  explicit Loop(detail::LoopImpl& impl) : impl_(&impl) {}

  Handle call_soon_impl(detail::Function<void()> fn);
  TimerHandle call_at_impl(time_point when, detail::Function<void()> fn);
  void bind_future(detail::FutureStateBase& state) noexcept;
  void wait_until_complete(detail::FutureStateBase& state);

  detail::LoopImpl* impl_;
};

/// The loop running the calling task (or the loop whose thread calls it, from
/// a callback). Throws RuntimeError("no running event loop") elsewhere.
[[nodiscard]] Loop& get_running_loop();
/// Same as get_running_loop() (asyncio 3.12+ semantics inside a runtime).
[[nodiscard]] Loop& get_event_loop();

} // namespace coreio
