// RuntimeConfig: the shape of a coreio runtime (asyncio's loop_factory/policy).
//
// The same program runs in the three shapes coreio exists to compare:
//   RuntimeConfig{.loops = 1}                      single loop (asyncio/uvloop design)
//   RuntimeConfig{.loops = N, .stealing = false}   shared-nothing loops (Seastar design)
//   RuntimeConfig{.loops = N, .stealing = true}    work-stealing loops (Tokio design, default)
//
// RuntimeConfig::from_env() lets the environment choose the shape of a program
// (COREIO_LOOPS=1, COREIO_STEALING=0, ...) without recompiling it:
//
//     coreio::run(main, coreio::RuntimeConfig::from_env());
#pragma once

#include "coreio/detail/config.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace coreio {

/// Where create_task puts a new, unpinned task.
enum class Placement {
  /// On the spawning loop (its local queue); other loops get it by stealing.
  /// Default with stealing on.
  local,
  /// Round-robin over all loops. Default with stealing off, so that a
  /// shared-nothing runtime spreads a program's tasks over its cores; each task
  /// then stays on the loop it was placed on.
  round_robin,
};

struct RuntimeConfig {
  /// Number of loops (one OS thread each). 0 = std::thread::hardware_concurrency().
  /// Every loop, loop 0 included, runs on its own thread; coreio::run /
  /// Runner::run start the main task on loop 0 and block the calling thread.
  /// Example: `coreio::run(main, {.loops = 1})` is asyncio's single-loop design.
  std::size_t loops = 0;

  /// Work stealing between loops. Default true. With false every task stays on
  /// the loop it was placed on (shared-nothing). Ignored with one loop.
  bool stealing = true;

  /// Task placement; default: local with stealing, round_robin without.
  std::optional<Placement> placement = std::nullopt;

  /// LIFO slot: a task woken by the running task runs next on that loop
  /// (message-passing locality, Tokio's lifo_slot). Default: on only for
  /// multi-loop work stealing; always off with one loop, because it would change
  /// asyncio's FIFO order that ported programs observe.
  std::optional<bool> lifo_slot = std::nullopt;

  /// Usable stack size of each task fiber, in bytes (rounded up to pages).
  /// Default 256 KiB. Only touched pages cost memory.
  std::size_t stack_size = 256 * 1024;

  /// A PROT_NONE guard page below every stack, up to a budget of a quarter of
  /// vm.max_map_count (each guarded stack costs two kernel mappings; ~16,000
  /// stacks under the default limit of 65530). Past the budget, and always
  /// with guard_pages = false, stacks are carved from slabs of 256 and an
  /// overflow is caught by a canary at the end of the task's step or when it
  /// faults (one warning when the default runs past its budget). In every
  /// layout an overflow ends the process with a message naming the task.
  /// See docs/tuning.md for what the canary cannot promise.
  bool guard_pages = true;

  /// Stacks each loop keeps for reuse before returning them to the shared pool.
  std::size_t stack_cache_per_loop = 64;

  /// Upper bound on threads of the default blocking pool (to_thread).
  std::size_t max_blocking_threads = 512;

  /// Idle blocking-pool threads retire after this long.
  std::chrono::milliseconds blocking_keep_alive{10'000};

  /// Pin loop i's thread to CPU (i mod hardware threads). Default false.
  bool pin_threads = false;

  /// Socket reads of net/ go through a per-loop io_uring (batched submission,
  /// no readiness wake-up or recv() per read) where the kernel allows it;
  /// Asio's epoll reactor otherwise. Default true. COREIO_IO_URING=0 turns it
  /// off (docs/tuning.md).
  bool io_uring = true;

  /// Debug mode (asyncio's debug): log callbacks and task steps that hold a
  /// loop longer than slow_callback_duration. Also on with COREIO_DEBUG=1.
  bool debug = false;

  /// Threshold for the slow-step log in debug mode. Default 100 ms (asyncio's).
  std::chrono::nanoseconds slow_callback_duration = std::chrono::milliseconds(100);

  /// Live stall detector (docs/observability.md): a watchdog thread logs
  /// (warn) every task step or callback that holds a loop longer than this,
  /// while it is still running, with the loop, the task's name and id, and a
  /// symbolised backtrace of the loop thread taken with a signal (SIGRTMIN+3)
  /// sent to it; once per stall, then one line with its length when it ends.
  /// Runtime::metrics() counts them (LoopMetrics::stalls). A step longer than
  /// 1.5 x the threshold is always caught (the watchdog looks every half
  /// threshold); a shorter one may be. Default 0 = off (no watchdog thread,
  /// no signal handler). COREIO_STALL_THRESHOLD (e.g. 100ms, 0 = off)
  /// overrides it for every Runtime.
  /// Example: `{.stall_threshold = std::chrono::milliseconds(100)}`.
  std::chrono::nanoseconds stall_threshold{0};

  /// Bound on the graceful part of close() (and so of coreio::run() and
  /// Runner::close()): the time the tasks still pending get, once cancelled,
  /// to finish. Default nullopt = no bound (asyncio.run's behaviour: close()
  /// waits for every task however long its cleanup takes). When the bound
  /// passes, every task still not done (one that keeps swallowing
  /// CancelledError, one blocked on something that never comes) is named in
  /// an error through the "coreio" logger and abandoned: it never runs again,
  /// and its fiber's frames are not unwound (docs/api.md, "Beyond asyncio",
  /// says what that leaks). An extension to asyncio.
  /// Not bounded: a step that never suspends (it holds its loop thread, which
  /// close() must join) and blocking-pool jobs already running (to_thread).
  /// Example: `{.shutdown_timeout = std::chrono::seconds(5)}`.
  std::optional<std::chrono::nanoseconds> shutdown_timeout = std::nullopt;

  /// Thread name prefix: loop i's thread is named "<name>-<i>" (what `top -H`,
  /// gdb and perf show; Linux keeps the first 15 characters), the default
  /// blocking pool's threads "<name>-blocking". Default "coreio".
  std::string name = "coreio";

  /// Called on each loop thread, with the loop's index, once it is named and
  /// before the loop runs anything; the Runtime constructor returns after every
  /// call has returned. Use it to register threads with a profiler, set a
  /// scheduling policy, or initialise thread-local state. Default: none.
  /// Example: `{.on_thread_start = [](std::size_t i) { profiler_register_thread(i); }}`.
  /// Throws: an exception it throws is logged (error) and the loop starts anyway.
  std::function<void(std::size_t loop_index)> on_thread_start = nullptr;

  /// Called on each loop thread, with the loop's index, after the loop has
  /// stopped (no task or callback runs on it any more) and before the thread
  /// exits; Runtime::close() returns after every call has returned. Default: none.
  /// Throws: an exception it throws is logged (error) and the thread exits anyway.
  std::function<void(std::size_t loop_index)> on_thread_stop = nullptr;

  /// `base` with the fields named by these environment variables replaced
  /// (unset or empty variables leave the field as it is in `base`):
  ///
  ///   COREIO_LOOPS=<n>                  loops (0 = one per hardware thread)
  ///   COREIO_STEALING=0|1               stealing
  ///   COREIO_PLACEMENT=local|round_robin placement
  ///   COREIO_LIFO_SLOT=0|1              lifo_slot
  ///   COREIO_STACK_SIZE=<bytes>[k|m]    stack_size (e.g. 64k, 1m)
  ///   COREIO_GUARD_PAGES=0|1            guard_pages
  ///   COREIO_PIN_THREADS=0|1            pin_threads
  ///   COREIO_IO_URING=0|1               io_uring
  ///   COREIO_DEBUG=0|1                  debug
  ///   COREIO_MAX_BLOCKING_THREADS=<n>   max_blocking_threads
  ///   COREIO_THREAD_NAME=<prefix>       name
  ///   COREIO_STALL_THRESHOLD=<n>[unit]  stall_threshold (ns, us, ms or s; no unit = ms; 0 = off)
  ///
  /// Booleans also accept true/false, yes/no, on/off (any case). Example:
  /// `COREIO_LOOPS=4 COREIO_STEALING=0 ./app` with
  /// `coreio::run(main, coreio::RuntimeConfig::from_env())` runs shared-nothing.
  ///
  /// The Runtime itself applies only COREIO_DEBUG=1, COREIO_IO_URING=0 and
  /// COREIO_STALL_THRESHOLD to every config (diagnostics and an escape hatch;
  /// a value that does not parse is logged and ignored there); the shape variables act
  /// only through from_env(), so a program that asks for a shape explicitly
  /// (a test, a benchmark) is never reshaped behind its back.
  /// Thread safety: reads the environment (std::getenv); do not call it while
  /// another thread calls setenv().
  /// Throws: ValueError naming the variable, its value and what was expected,
  /// for a value that does not parse (a typo must not silently run another shape).
  [[nodiscard]] static RuntimeConfig from_env(RuntimeConfig base);
  [[nodiscard]] static RuntimeConfig from_env() { return from_env(RuntimeConfig{}); }
};

} // namespace coreio
