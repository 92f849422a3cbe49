// ThreadPool: an elastic pool of OS threads running ExecutorJobs. It is the
// runtime's default blocking pool (to_thread, run_in_executor(nullptr)) and
// the engine of ThreadPoolExecutor.
//
// # Model (Tokio's spawn_blocking pool)
// One FIFO job queue under one mutex. Threads are created on demand: a job
// that finds no idle thread starts a new one while fewer than `max_threads`
// exist, otherwise it waits in the queue for a busy thread to finish. There
// is no thread per call and no fixed pool: an idle thread waits on the
// condition variable for `keep_alive` and then retires (never, without a
// keep-alive: concurrent.futures' threads live until shutdown).
//
// # Wake protocol
//  1. execute() pushes the job under `mu_`. If a thread is idle it moves one
//     idle thread into the "notified" state (--num_idle_, ++num_notify_) and
//     signals the condition variable; else it may spawn a thread.
//  2. An idle thread wakes (signal, timeout or spuriously) and, under `mu_`,
//     consumes a notification if there is one (then it was already counted
//     as busy by step 1), otherwise decides by itself: shutdown, retire on
//     timeout, or wait again. So a notification is never lost to a thread
//     that is timing out at the same moment, and no job sits in the queue
//     while an idle thread sleeps.
//  3. A busy thread drains the queue before it goes idle.
//  4. Before it goes idle, a thread spins for `spin` (at most one thread at a
//     time), watching `queued_` without the lock. A back-to-back caller
//     (to_thread in a loop) then finds it there: execute() sees
//     `num_spinning_` under `mu_`, queues the job and neither signals nor
//     spawns, and the spinner takes the job without a futex sleep and wake on
//     either side. Every spinner re-checks the queue under `mu_` when it
//     stops, so a job counted on a spinner is never left queued.
//
// # Shutdown
//  1. shutdown_begin() sets `shutdown_` under `mu_` (execute() then throws),
//     optionally takes the queued jobs out and cancels their futures, and
//     wakes every idle thread.
//  2. Threads finish the jobs still queued (concurrent.futures runs them;
//     those whose futures were cancelled are skipped), then exit. The last
//     one to exit runs the `on_drained` callbacks, if any (they complete
//     shutdown_default_executor's futures without a helper thread).
//  3. join() waits (on `exit_cv_`) until no thread is live, then joins every
//     thread ever started (retired ones included). The destructor shuts down
//     and joins, so no thread outlives the pool.
//
// Thread safety: every member may be called from any thread, except that
// join() and the destructor must not run on one of the pool's own threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "coreio/executor.hpp"

namespace coreio::detail {

class ThreadPool {
public:
  struct Options {
    std::size_t max_threads = 512;
    /// Idle time after which a thread retires; nullopt = never.
    std::optional<std::chrono::nanoseconds> keep_alive = std::nullopt;
    /// Thread names are "<name>" (truncated to 15 characters by Linux).
    std::string thread_name = "coreio-pool";
    /// The RuntimeError message of execute() after shutdown.
    std::string shutdown_message = "cannot schedule new futures after shutdown";
    /// How long a thread that ran out of jobs watches for the next one
    /// before it sleeps (wake protocol step 4); zero turns spinning off.
    std::chrono::nanoseconds spin = std::chrono::microseconds(10);
  };

  explicit ThreadPool(Options opts);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Queues the job (wake protocol step 1). Throws RuntimeError after
  /// shutdown, std::system_error if no thread exists and none can be started.
  void execute(ExecutorJob job);

  /// Shutdown step 1. `on_drained` runs once every thread has exited (on the
  /// last thread, or inline if none is left). Idempotent; every call's
  /// callback runs.
  void shutdown_begin(bool cancel_futures, Function<void()> on_drained = {});
  /// Shutdown step 3: waits for every thread to exit and joins it.
  void join();
  /// shutdown_begin + join (if wait).
  void shutdown(bool wait, bool cancel_futures);

  [[nodiscard]] bool is_shutdown() const;
  [[nodiscard]] std::size_t num_threads() const;
  [[nodiscard]] std::size_t num_idle() const;
  [[nodiscard]] std::size_t queue_size() const;

private:
  using ThreadList = std::list<std::thread>;
  void worker(ThreadList::iterator self);
  /// Starts one thread; called with `mu_` held.
  void spawn_locked();

  const Options opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ExecutorJob> queue_;
  std::size_t num_threads_ = 0; ///< started and not yet exited
  std::size_t num_idle_ = 0;    ///< waiting on cv_ and not notified
  std::size_t num_notify_ = 0;  ///< notifications not yet consumed (step 2)
  std::size_t num_spinning_ = 0; ///< spinning (step 4) and not yet counted on by a job
  bool spinner_active_ = false;  ///< one thread spins at a time
  /// queue_.size(), readable without `mu_` by a spinner (written under `mu_`).
  std::atomic<std::size_t> queued_{0};
  bool shutdown_ = false;
  std::vector<Function<void()>> on_drained_;
  std::condition_variable exit_cv_; ///< signalled when a thread exits
  ThreadList live_;    ///< running threads (each knows its own iterator)
  ThreadList retired_; ///< exited (or exiting) threads, still to be joined
  std::mutex join_mu_; ///< serializes join() callers
};

} // namespace coreio::detail
