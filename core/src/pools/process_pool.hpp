// ProcessPool: the parent side of ProcessPoolExecutor: worker processes and
// the manager thread that drives them.
//
// # Threads and ownership
// Submitters (any thread) touch only the shared part under `mu_`: they append
// to `incoming_` and poke `wake_fd_` (an eventfd). Everything else (the
// workers, the queue of calls not yet sent, the sockets and pidfds) belongs
// to the manager thread alone, so the manager needs no locks for it.
//
// # The manager loop (one iteration)
//  1. take `incoming_` and the shutdown/cancel flags under `mu_`; drop queued
//     calls whose futures are done (cancelled by their callers);
//  2. give queued calls to idle workers, starting workers on demand (up to
//     max_workers) while calls wait and no worker is idle;
//  3. at shutdown, once nothing is queued or running, close every worker's
//     socket (the worker reads EOF and exits);
//  4. poll(2) the eventfd, every worker's socket (POLLIN, plus POLLOUT while
//     a request is partly written) and every worker's pidfd;
//  5. handle what is ready: read replies and complete futures, write request
//     bytes, and reap workers that exited (5a below).
// The loop ends when shutdown was requested and no worker is left.
//
// # A worker's death (5a)
// Its pidfd polls readable once it has exited. The manager first reads what
// is left in its socket (a reply written just before exiting still counts),
// reaps it with waitid(P_PIDFD) (so no zombie stays behind), and fails the
// call it was still running, if any, with BrokenProcessPool. Queued calls are
// untouched: step 2 of the next iteration starts a replacement for them. EOF
// on a socket we did not close means the worker is dying or misbehaving: it
// is SIGKILLed and reaped the same way, so a stuck worker cannot hang
// shutdown once it closed its end.
//
// A worker that cannot be started (posix_spawn fails) fails the queued calls
// with BrokenProcessPool if no worker is running to take them later.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "coreio/process_pool_executor.hpp"

namespace coreio::detail {

class ProcessPool {
public:
  ProcessPool(std::size_t max_workers, std::optional<std::size_t> max_tasks_per_child);
  ~ProcessPool();
  ProcessPool(const ProcessPool&) = delete;
  ProcessPool& operator=(const ProcessPool&) = delete;

  /// Any thread. Throws RuntimeError after shutdown.
  void submit(ProcessCall call);
  /// Any thread but the manager. Idempotent. kill_after: once that much time
  /// has passed, queued calls are cancelled and workers still running a call
  /// are SIGKILLed (their calls fail with BrokenProcessPool). A later call
  /// may shorten the deadline, never lengthen it.
  void shutdown(bool wait, bool cancel_futures,
                std::optional<std::chrono::steady_clock::duration> kill_after = std::nullopt);

private:
  struct Worker {
    pid_t pid = -1;
    int sock = -1;  ///< parent's end, non-blocking, -1 once closed
    int pidfd = -1;
    bool greeted = false;  ///< the hello frame arrived
    bool retiring = false; ///< socket closed by us: no more calls
    std::size_t calls = 0; ///< calls sent so far
    std::optional<ProcessCall> current;
    std::uint64_t current_id = 0;
    std::string out;       ///< request bytes still to write
    std::size_t out_off = 0;
    std::string in;        ///< bytes received, not yet a whole frame
  };

  void manager_main();
  void take_incoming();
  void dispatch();
  bool spawn_worker();
  void send_call(Worker& w, ProcessCall call);
  void on_writable(Worker& w);
  /// Reads what the socket has; false once it reached EOF or an error.
  bool on_readable(Worker& w);
  void handle_frame(Worker& w, const std::string& payload);
  void on_exit(Worker& w);
  void retire(Worker& w);
  /// The bounded shutdown's deadline passed: cancel the queue, SIGKILL busy workers.
  void kill_running();
  void fail_queued(const std::string& why);
  void wake() noexcept;

  const std::size_t max_workers_;
  const std::optional<std::size_t> max_tasks_per_child_;

  // ---- shared, under mu_ ----
  std::mutex mu_;
  std::deque<ProcessCall> incoming_;
  bool shutdown_ = false;
  bool cancel_queued_ = false;
  std::optional<std::chrono::steady_clock::time_point> kill_at_; ///< bounded shutdown's deadline

  int wake_fd_ = -1; ///< eventfd: submissions and shutdown wake the manager
  std::thread manager_;
  std::mutex join_mu_;

  // ---- manager thread only ----
  std::deque<ProcessCall> queue_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false; ///< shutdown seen by the manager
  std::optional<std::chrono::steady_clock::time_point> kill_deadline_; ///< kill_at_ as last seen
  bool killed_ = false; ///< the deadline passed: running workers were SIGKILLed
};

} // namespace coreio::detail
