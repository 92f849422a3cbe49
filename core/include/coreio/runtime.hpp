// Runtime, run, Runner, run_on: creating loops and running programs on them.
//
// coreio::run(fn, cfg) is asyncio.run: it creates a runtime, runs fn as the
// main task, then cancels and unwinds every task still pending, shuts the
// executors down, closes the loops, and returns fn's value (or rethrows).
// The calling thread blocks; the loops run on their own threads (loop 0
// included), so the caller is never a loop thread.
//
// Thread safety: a Runtime may be used from any thread; run()/close() must
// not be called from one of its own loop threads (RuntimeError).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "coreio/loop.hpp"
#include "coreio/runtime_config.hpp"
#include "coreio/task.hpp"

namespace coreio {

namespace detail {
class RuntimeImpl;
}

/// Counters of one loop (Runtime::metrics()). Monotonic except the depths.
struct LoopMetrics {
  std::size_t index = 0;
  std::uint64_t tasks_run = 0;        ///< task steps (a step runs to a suspension)
  std::uint64_t callbacks_run = 0;    ///< call_soon/call_later/done callbacks run
  std::uint64_t steal_attempts = 0;   ///< victims probed
  std::uint64_t steals = 0;           ///< successful steals
  std::uint64_t tasks_stolen = 0;     ///< tasks moved by those steals
  std::uint64_t parks = 0;            ///< times the loop blocked in its io_context
  std::uint64_t io_events = 0;        ///< Asio handlers run (IO, timers, wake-ups)
  std::uint64_t timers_fired = 0;
  std::uint64_t inbox_received = 0;   ///< items received from other threads
  std::uint64_t uring_completions = 0; ///< socket reads completed through the loop's io_uring
  std::uint64_t uring_submits = 0;    ///< io_uring_enter calls (each submits a batch)
  std::uint64_t stalls = 0; ///< stalls the stall detector caught (RuntimeConfig::stall_threshold)
  std::size_t local_queue_depth = 0;
  std::size_t callback_queue_depth = 0;
};

struct Metrics {
  std::vector<LoopMetrics> loops;
  std::size_t global_queue_depth = 0;
  std::size_t live_tasks = 0;
};

class Runtime {
public:
  explicit Runtime(RuntimeConfig config = {});
  /// close().
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Runs fn as a task (named "main", starting on loop 0) and blocks the
  /// calling thread until it is done. Tasks it leaves behind keep running.
  template <class F>
  decltype(auto) block_on(F&& fn) {
    check_not_on_loop_thread(Entry::block_on);
    auto task = coreio::create_task(std::forward<F>(fn), TaskOptions{.name = "main", .loop = &loop(0)});
    task.wait();
    if constexpr (std::is_void_v<detail::task_result_t<F>>) task.result();
    else return detail::task_result_t<F>(std::move(task.result()));
  }

  /// asyncio.run's shutdown: cancels every pending task, waits until all are
  /// done (reporting failures other than cancellation to the exception
  /// handler), shuts down the default executor, stops and joins the loops.
  /// Idempotent. Bounded by RuntimeConfig::shutdown_timeout, if set.
  void close();
  /// close() with the cancelled tasks given `timeout` to finish (instead of
  /// RuntimeConfig::shutdown_timeout); those still pending then are logged by
  /// name and abandoned (RuntimeConfig::shutdown_timeout says how).
  void close(std::chrono::nanoseconds timeout);
  [[nodiscard]] bool is_closed() const noexcept;

  [[nodiscard]] Loop& loop(std::size_t i) const;
  [[nodiscard]] std::size_t num_loops() const noexcept;
  [[nodiscard]] const RuntimeConfig& config() const noexcept;
  [[nodiscard]] Metrics metrics() const;

  /// The runtime of the calling loop thread, or nullptr.
  [[nodiscard]] static Runtime* current() noexcept;

private:
  friend struct detail::Access;
  /// The entry points that must not run on one of the runtime's own loops.
  enum class Entry { block_on, close };
  void check_not_on_loop_thread(Entry what) const;
  std::unique_ptr<detail::RuntimeImpl> impl_;
};

/// asyncio.run(main()).
template <class F>
decltype(auto) run(F&& fn, RuntimeConfig config = {}) {
  Runtime rt(std::move(config));
  if constexpr (std::is_void_v<detail::task_result_t<F>>) {
    rt.block_on(std::forward<F>(fn));
    rt.close();
  } else {
    auto v = rt.block_on(std::forward<F>(fn));
    rt.close();
    return v;
  }
}

/// asyncio.Runner: one runtime, several run() calls, then close().
class Runner {
public:
  explicit Runner(RuntimeConfig config = {}) : rt_(std::move(config)) {}
  ~Runner() { close(); }
  template <class F>
  decltype(auto) run(F&& fn) {
    if (rt_.is_closed()) throw RuntimeError("Runner is closed");
    return rt_.block_on(std::forward<F>(fn));
  }
  void close() { rt_.close(); }
  /// Runtime::close(timeout).
  void close(std::chrono::nanoseconds timeout) { rt_.close(timeout); }
  [[nodiscard]] Loop& get_loop() const { return rt_.loop(0); }
  [[nodiscard]] Runtime& runtime() noexcept { return rt_; }

private:
  Runtime rt_;
};

/// Seastar's submit_to: runs fn as a task pinned to `loop` and waits for its
/// result (suspending the calling task, or blocking a plain thread).
template <class F>
decltype(auto) run_on(Loop& loop, F&& fn) {
  auto task = loop.create_task(std::forward<F>(fn));
  task.wait();
  if constexpr (std::is_void_v<detail::task_result_t<F>>) task.result();
  else return detail::task_result_t<F>(std::move(task.result()));
}

} // namespace coreio
