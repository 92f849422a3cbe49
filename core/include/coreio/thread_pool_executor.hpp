// ThreadPoolExecutor: concurrent.futures.ThreadPoolExecutor.
//
// A pool of at most `max_workers` threads (default min(32, cpu + 4), as in
// Python) started on demand: a submission that finds no idle thread starts
// one while fewer than max_workers exist, else it queues (FIFO). Unlike the
// default blocking pool, idle threads stay until shutdown, as in Python. It
// is the same engine as the default pool (core/src/pools/thread_pool.hpp).
//
//   coreio::ThreadPoolExecutor pool(4);
//   auto f = pool.submit([](int x) { return x * 2; }, 21);      // any thread
//   int v = coreio::get_running_loop().run_in_executor(&pool, work, arg).get(); // in a task
//
// Thread safety: submit() and shutdown() may be called from any thread,
// concurrently. The destructor (Python's `with` exit) shuts the pool down and
// waits for every job: do not destroy it on one of its own threads.
// Resumes on: see executor.hpp (the waiter of a future resumes on its loop).
// Cancellation: a queued job whose future is cancelled never runs; a running
// one runs to the end. shutdown(cancel_futures = true) cancels queued jobs.
// Throws: submit() throws RuntimeError("cannot schedule new futures after
// shutdown"); the constructor throws ValueError for max_workers == 0.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "coreio/executor.hpp"

namespace coreio {

namespace detail {
class ThreadPool;
}

class ThreadPoolExecutor final : public Executor {
public:
  /// max_workers: nullopt = min(32, hardware threads + 4). Threads are named
  /// "<thread_name_prefix>" (default "ThreadPoolExec"; Linux keeps 15 chars).
  explicit ThreadPoolExecutor(std::optional<std::size_t> max_workers = std::nullopt,
                              std::string thread_name_prefix = {});
  /// shutdown(wait = true).
  ~ThreadPoolExecutor() override;

  void shutdown(bool wait = true, bool cancel_futures = false) override;

  [[nodiscard]] std::size_t max_workers() const noexcept { return max_workers_; }
  /// Threads started and not yet exited.
  [[nodiscard]] std::size_t num_threads() const;

protected:
  void execute(detail::ExecutorJob job) override;

private:
  std::size_t max_workers_;
  std::unique_ptr<detail::ThreadPool> pool_;
};

} // namespace coreio
