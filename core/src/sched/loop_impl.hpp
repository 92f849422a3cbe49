// LoopImpl: one event loop (the public face is coreio::Loop). It owns the
// loop thread and runs its phases; each mechanism it drives has its own file:
//  - ready_queue.hpp: what runs next, in what order (the runtime's shape);
//  - inbox.hpp: work arriving from other threads;
//  - timers.hpp: the loop's timers;
//  - steal.hpp (with injector.hpp, idle.hpp): work from other loops;
//  - park.cpp: sleeping in the io_context until there is work;
//  - step.cpp: running one task step or one callback;
//  - io/uring_driver.hpp: the loop's io_uring;
//  - fiber/fiber.hpp: the switches between the loop and its tasks.
//
// # The tick (run_once, loop.cpp)
//  1. every `event_interval` ticks: maintenance (drain the inbox, fire due
//     timers, poll IO without blocking, pass the io_uring, pull from the
//     injector), so neither local work nor IO/cross-thread work can starve
//     the other;
//  2. run one ready item (a task step or a callback);
//  3. nothing ready: maintenance; still nothing: steal; still nothing: park.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <latch>
#include <mutex>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "coreio/detail/handle_state.hpp"
#include "coreio/detail/task_base.hpp"
#include "coreio/loop.hpp"
#include "coreio/runtime.hpp"
#include "fiber/fiber.hpp"
#include "fiber/stack_pool.hpp"
#include "io/uring_driver.hpp"
#include "sched/inbox.hpp"
#include "sched/ready_queue.hpp"
#include "sched/steal.hpp"
#include "sched/timers.hpp"

namespace coreio::detail {

class LoopUring;
class RuntimeImpl;

/// Ticks between maintenance passes while local work remains. Tokio's
/// event_interval: a prime, so it does not beat with periodic workloads.
inline constexpr std::uint32_t event_interval = 61;

/// Plain (non-atomic-RMW) counters: written by the loop thread only, read by
/// metrics() with relaxed loads.
struct LoopCounters {
  std::atomic<std::uint64_t> tasks_run{0}, callbacks_run{0}, steal_attempts{0}, steals{0}, tasks_stolen{0}, parks{0},
      io_events{0}, timers_fired{0}, inbox_received{0}, uring_completions{0}, uring_submits{0};
  void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

/// The loop of the calling thread (nullptr off loop threads). Not inlined:
/// a fiber may resume on another thread (docs/architecture.md, "Tasks are fibers").
[[gnu::noinline]] LoopImpl* current_loop() noexcept;

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
  [[nodiscard]] boost::asio::io_context& io_context() noexcept { return io_; }

  // ---- any thread ----
  /// A task that is SCHEDULED (by TaskBase::wake or spawn) and belongs here.
  void schedule_remote(TaskBase* t) noexcept;
  /// Queue a callback or timer; takes its own reference to h.
  void post(HandleState* h);
  /// Park protocol (park.cpp): called by whoever added work for this loop.
  void unpark() noexcept;
  void request_stop() noexcept;
  void note_timer_cancelled() noexcept { timers_.note_cancelled(); }
  [[nodiscard]] ReadyQueue& ready() noexcept { return ready_; }
  void fill_metrics(coreio::LoopMetrics& m) const;
  [[nodiscard]] bool debug() const noexcept { return debug_.load(std::memory_order_relaxed); }
  void set_debug(bool on) noexcept { debug_.store(on, std::memory_order_relaxed); }
  void set_exception_handler(Loop::ExceptionHandler h);
  [[nodiscard]] Loop::ExceptionHandler exception_handler() const;

  // ---- plain threads waiting on the loop (run_forever, run_until_complete) ----
  /// The current stop generation (a later stop() changes it).
  [[nodiscard]] std::uint64_t stop_generation();
  /// Blocks until `done()` or a stop() after generation `gen`; true if done() ended it.
  template <class Done>
  bool wait_stopped_or(std::uint64_t gen, Done&& done) {
    std::unique_lock lk(stop_mu_);
    stop_cv_.wait(lk, [&] { return done() || stop_gen_ != gen; });
    return done();
  }
  /// Wakes every waiter of wait_stopped_or() to re-check.
  void notify_stop_waiters();
  /// Loop.stop(): ends the current run_forever(), or the next one at once.
  void stop_running();
  /// Loop.run_forever()'s wait; returns when stopped (or the runtime closed).
  void run_forever_wait(const std::atomic<bool>& closed);

  // ---- loop thread ----
  /// The loop thread; counts `ready` down once set up (before any task runs).
  void thread_main(std::latch& ready);
  [[nodiscard]] TaskBase* current() const noexcept { return current_; }
  /// This loop's io_uring, or nullptr (see coreio/detail/uring.hpp).
  [[nodiscard]] LoopUring* uring() const noexcept { return uring_.ring(); }
  [[nodiscard]] ThreadContext& thread_context() noexcept { return thread_ctx_; }
  /// Queue a SCHEDULED task on this loop from its own thread. `wake`: woken
  /// (eligible for the LIFO slot if by the running task) rather than spawned.
  void push_task(TaskBase* t, bool wake) noexcept { ready_.push_task(t, wake && current_); }
  /// Eager start (step.cpp): `parent` steps aside, `child` runs now, then `parent`.
  void run_eagerly(TaskBase& parent, TaskBase& child) noexcept;
  /// Called once every loop of the runtime exists: whom this loop may steal from.
  void set_victims(std::vector<ReadyQueue*> victims) { stealer_.set_victims(std::move(victims)); }

private:
  // loop.cpp: the phases
  void run_once();
  void maintenance();
  bool run_next();
  void drain_inbox();
  void fire_timers();
  void poll_io();
  // park.cpp
  void park();
  void arm_wake_timer();
  // step.cpp
  void run_task(TaskBase* t);
  [[nodiscard]] bool begin_step(TaskBase* t);
  void end_step(TaskBase* t);
  void finish_task(TaskBase* t);
  void run_callback(HandleState* h);

  RuntimeImpl& rt_;
  const std::size_t index_;
  Loop facade_;
  boost::asio::io_context io_;
  /// Keeps io_ from running out of work. An io_context with no outstanding
  /// work stops itself, and a stopped one returns from run_one()/poll() at
  /// once without running anything, so an idle loop would spin and never see
  /// IO (or an unpark() post) again.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> io_work_;
  LoopCounters counters_;
  std::atomic<bool> debug_{false};
  mutable std::mutex handler_mu_;
  Loop::ExceptionHandler handler_;

  // run_forever / run_until_complete waits (plain threads) and stop().
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::uint64_t stop_gen_ = 0;
  /// stop() with nobody in run_forever(): the next run_forever() returns at
  /// once (asyncio's "stop() before run_forever() runs one iteration").
  bool stop_pending_ = false;

  // loop-thread state
  TaskBase* current_ = nullptr;
  ReadyQueue ready_;
  Stealer stealer_;
  TimerQueue timers_;
  /// Eager start: the running task stepped aside for a child (step.cpp).
  bool stepped_aside_ = false;
  std::uint32_t tick_ = 0;
  boost::asio::steady_timer wake_timer_;
  std::chrono::steady_clock::time_point armed_for_ = std::chrono::steady_clock::time_point::max();
  StackCache stacks_;
  ThreadContext thread_ctx_;
  UringDriver uring_;

  // shared state
  Inbox inbox_;
  std::atomic<bool> parked_{false};
  std::atomic<bool> stop_requested_{false};
};

// ThreadContext::switch_to_loop (fiber.hpp), inline: one per step.
inline void ThreadContext::switch_to_loop(TaskBase& t) noexcept {
  ThreadContext& loop = current_loop()->thread_context();
  FiberFrame& f = *t.fiber_;
  sanitizer::start_switch(f.done ? nullptr : &f.asan_fake_stack, loop.stack_lo_, loop.stack_size_);
  sanitizer::tsan_switch_to(loop.tsan_fiber_);
  boost::context::detail::transfer_t back = boost::context::detail::jump_fcontext(f.caller, nullptr);
  // Resumed, possibly by another loop's thread: its context is our new caller.
  f.caller = back.fctx;
  sanitizer::finish_switch(f.asan_fake_stack);
}

} // namespace coreio::detail
