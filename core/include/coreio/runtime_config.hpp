// RuntimeConfig: the shape of a coreio runtime (asyncio's loop_factory/policy).
//
// The same program runs in the three shapes coreio exists to compare:
//   RuntimeConfig{.loops = 1}                      single loop (asyncio/uvloop design)
//   RuntimeConfig{.loops = N, .stealing = false}   shared-nothing loops (Seastar design)
//   RuntimeConfig{.loops = N, .stealing = true}    work-stealing loops (Tokio design, default)
#pragma once

#include <chrono>
#include <cstddef>
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

  /// A PROT_NONE guard page below every stack. Default true: an overflow ends
  /// the process with a message naming the task instead of corrupting memory.
  /// Each guarded stack costs a kernel mapping (vm.max_map_count is 65530 by
  /// default), so more than ~30,000 simultaneously suspended tasks need
  /// guard_pages = false (stacks are then carved from large slabs: one mapping
  /// per slab) or a raised vm.max_map_count. See docs/tuning.md.
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

  /// Thread name prefix: loop threads are "<name>-<i>".
  std::string name = "coreio";
};

} // namespace coreio
