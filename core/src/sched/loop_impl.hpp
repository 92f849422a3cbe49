// LoopImpl: one event loop's machinery (the public face is coreio::Loop).
//
// # Queues
//  - `fifo_`: loop-local FIFO of callbacks and *pinned* tasks. Never stolen.
//    With one loop or with stealing off every task is pinned, so `fifo_` is
//    the whole ready queue and ready tasks and callbacks run in exactly
//    asyncio's order (FIFO; a woken task queues behind what is already ready).
//  - `local_`: the stealable ring of unpinned tasks (work-stealing mode only),
//    with `lifo_slot_` in front of it for a task just woken by the running task.
//    Between `fifo_` and `local_` the order is kept by tickets (the `ticket_`
//    each item got when it was queued here).
//  - `front_`: tasks that must run before anything else (eager task start).
//  - `inbox_`: MPSC from other threads; drained into the queues above.
//  - timers: a min-heap on (when, ticket).
//
// # The tick (run_once)
//  1. every `event_interval` ticks: maintenance (drain inbox, fire due
//     timers, poll IO without blocking, pull from the global queue), so neither
//     local work nor IO/cross-thread work can starve the other;
//  2. run one ready item (a task step or a callback);
//  3. nothing ready: maintenance; still nothing: steal; still nothing: park.
//  Maintenance also passes the loop's io_uring, if it has one (uring.hpp):
//  one submission of the socket reads queued since the last pass, then the
//  completions, which wake their tasks.
//
// # Parking
//  park(): set `parked_` (SeqCst), re-check the inbox (and, with stealing, the
//  global queue), arm `wake_timer_` for the earliest timer, then block in
//  io_context::run_one(). Anyone who adds work for this loop pushes first and
//  then calls unpark(), which clears `parked_` and posts a no-op handler to
//  the io_context if it was set. With io_uring reads in flight, park() first
//  submits and arms a wait on the ring's fd, so a completion wakes it too. The SeqCst pair (push / load parked_ on one
//  side, store parked_ / load inbox on the other) guarantees that either the
//  loop sees the work or the pusher sees the loop parked (see inbox.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "coreio/detail/handle_state.hpp"
#include "coreio/detail/task_base.hpp"
#include "coreio/loop.hpp"
#include "coreio/runtime.hpp"
#include "sched/inbox.hpp"
#include "sched/run_queue.hpp"
#include "fiber/stack_pool.hpp"

namespace coreio::detail {

class LoopUring;

class RuntimeImpl;

/// Capacity of a loop's stealable ring (Tokio's LOCAL_QUEUE_CAPACITY).
inline constexpr std::size_t local_queue_capacity = 256;
/// Ticks between maintenance passes while local work remains. Tokio's
/// event_interval: a prime, so it does not beat with periodic workloads.
inline constexpr std::uint32_t event_interval = 61;
/// Consecutive LIFO-slot runs before the loop takes from the queue instead,
/// so two tasks ping-ponging through the slot cannot starve the rest
/// (Tokio's MAX_LIFO_POLLS_PER_TICK).
inline constexpr std::uint32_t max_lifo_polls = 3;
/// Submission slots of a loop's io_uring (uring.hpp); a full ring submits early.
inline constexpr unsigned uring_entries = 1024;
/// Most tasks a loop takes from the global queue at once.
inline constexpr std::size_t global_batch_max = 32;

/// Plain (non-atomic-RMW) counters: written by the loop thread only, read by
/// metrics() with relaxed loads.
struct LoopCounters {
  std::atomic<std::uint64_t> tasks_run{0}, callbacks_run{0}, steal_attempts{0}, steals{0}, tasks_stolen{0},
      parks{0}, io_events{0}, timers_fired{0}, inbox_received{0}, uring_completions{0}, uring_submits{0};
  void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

/// The loop of the calling thread (nullptr off loop threads). Not inlined:
/// a fiber may resume on another thread (DESIGN.md "Tasks are fibers").
[[gnu::noinline]] LoopImpl* current_loop() noexcept;

/// Throws RuntimeError if the caller may not block: a callback running on a
/// loop thread (outside any task) would block the whole loop.
void ensure_can_suspend();

class LoopImpl : public RefCounted {
public:
  LoopImpl(RuntimeImpl& rt, std::size_t index);
  ~LoopImpl() override;
  /// Releases every callback still queued (teardown, after the loop thread
  /// has stopped). RuntimeImpl calls it on every loop before it destroys any:
  /// a callback's captures may own Asio objects of another loop's
  /// io_context (a listener task's acceptor), which must still exist.
  void drop_queued() noexcept;

  [[nodiscard]] Loop& facade() noexcept { return facade_; }
  [[nodiscard]] std::size_t index() const noexcept { return index_; }
  [[nodiscard]] RuntimeImpl& runtime() const noexcept { return rt_; }
  [[nodiscard]] bool on_this_thread() const noexcept { return current_loop() == this; }

  // ---- any thread ----
  /// A task that is SCHEDULED (by TaskBase::wake or spawn) and belongs here.
  void schedule_remote(TaskBase* t) noexcept;
  /// Queue a callback or timer; takes its own reference to h.
  void post(HandleState* h);
  void unpark() noexcept;
  void request_stop() noexcept;
  void note_timer_cancelled() noexcept { cancelled_timers_.fetch_add(1, std::memory_order_relaxed); }
  /// Moves about half of this loop's stealable tasks into `thief`'s ring.
  std::size_t steal_into(LoopImpl& thief) noexcept { return local_.steal_into(thief.local_); }
  void fill_metrics(coreio::LoopMetrics& m) const;

  // ---- loop thread ----
  /// The loop thread; counts `ready` down once set up (before any task runs).
  void thread_main(std::latch& ready);
  [[nodiscard]] TaskBase* current() const noexcept { return current_; }
  /// This loop's io_uring, or nullptr (see coreio/detail/uring.hpp).
  [[nodiscard]] LoopUring* uring() const noexcept { return uring_.get(); }
  /// Queue a SCHEDULED task on this loop from its own thread. `wake`: woken by
  /// the running task (eligible for the LIFO slot) rather than spawned.
  void push_task(TaskBase* t, bool wake) noexcept;
  /// Eager start: run `child` now, then the current task.
  void run_eagerly(TaskBase* child) noexcept;
  /// Task side of a switch: leave the running task's fiber for the loop.
  static void switch_to_loop(TaskBase* t) noexcept;

  boost::asio::io_context io_;
  /// Keeps io_ from running out of work. An io_context with no outstanding
  /// work stops itself, and a stopped one returns from run_one()/poll() at
  /// once without running anything, so an idle loop would spin and never see
  /// IO (or an unpark() post) again.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> io_work_;
  LoopCounters counters_;
  std::atomic<bool> debug_{false};
  std::mutex handler_mu_;
  Loop::ExceptionHandler handler_;

  // run_forever / run_until_complete waits (plain threads) and stop().
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::uint64_t stop_gen_ = 0;
  /// stop() with nobody in run_forever(): the next run_forever() returns at
  /// once (asyncio's "stop() before run_forever() runs one iteration").
  bool stop_pending_ = false;

private:
  void run_once();
  void maintenance();
  bool run_next();
  void drain_inbox();
  void fire_timers();
  void poll_io();
  void start_uring();
  void stop_uring() noexcept;
  void pass_uring();
  /// Before parking: submits, and watches the ring's fd while ops are in
  /// flight. True if completions are already waiting (do not block).
  bool prepare_uring_park();
  bool pull_global();
  bool try_steal();
  void park();
  void run_task(TaskBase* t);
  void finish_task(TaskBase* t);
  void run_callback(HandleState* h);
  void fifo_push(QueueLink* n) noexcept;
  QueueLink* fifo_pop() noexcept;
  void ring_push(TaskBase* t) noexcept;
  void add_timer(HandleState* h);
  void compact_timers();
  [[nodiscard]] bool has_ready() const noexcept;
  std::uint64_t next_ticket() noexcept { return ++ticket_; }

  RuntimeImpl& rt_;
  std::size_t index_;
  Loop facade_;
  bool stealing_;
  bool lifo_enabled_;

  // loop-thread state
  TaskBase* current_ = nullptr;
  QueueLink* fifo_head_ = nullptr;
  QueueLink* fifo_tail_ = nullptr;
  std::size_t fifo_size_ = 0;
  RunQueue<TaskBase, local_queue_capacity> local_;
  TaskBase* lifo_slot_ = nullptr;
  std::uint32_t lifo_polls_ = 0;
  std::vector<TaskBase*> front_;
  bool yield_front_ = false;
  std::uint64_t ticket_ = 0;
  std::uint32_t tick_ = 0;
  std::uint64_t rng_;
  std::vector<Ref<HandleState>> timers_;
  std::atomic<std::size_t> cancelled_timers_{0};
  boost::asio::steady_timer wake_timer_;
  std::chrono::steady_clock::time_point armed_for_ = std::chrono::steady_clock::time_point::max();
  StackCache stacks_;
  void* tsan_fiber_ = nullptr;       ///< this thread's own TSan fiber
  const void* thread_stack_lo_ = nullptr; ///< for ASan switch annotations
  std::size_t thread_stack_size_ = 0;
  void* asan_fake_stack_ = nullptr;
  std::unique_ptr<LoopUring> uring_;
  /// The ring's fd in io_'s reactor: readable while completions are pending.
  std::optional<boost::asio::posix::stream_descriptor> uring_watch_;
  bool uring_watch_armed_ = false;

  // shared state
  Inbox inbox_;
  std::atomic<bool> parked_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::size_t> local_depth_{0};
  std::atomic<std::size_t> fifo_depth_{0};
};

} // namespace coreio::detail
