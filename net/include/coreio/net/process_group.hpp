// serve_processes: several worker processes per host behind one port.
//
//     int main() {
//       return coreio::serve_processes(4, [](std::size_t worker) {
//         return coreio::start_server(handle, "0.0.0.0", 8080, {.reuse_port = true});
//       });
//     }
//
// One coreio runtime outgrows nothing but its process: a crash, a leak or a
// long GC-like pause takes the whole service down. serve_processes() runs the
// same server in n worker processes, each with its own runtime, all
// listening on the same address through SO_REUSEPORT (the kernel spreads new
// connections over every listening socket of every worker), while the
// calling process only supervises, as nginx's master or gunicorn's arbiter
// do.
//
// # The supervisor (the calling process)
//  1. It must be single-threaded when it calls serve_processes (call it from
//     main() before coreio::run or anything else that starts threads): it
//     fork()s the workers, and a fork of a multithreaded process may leave
//     locks held by threads that do not exist in the child (the process
//     pool spawns a fresh executable instead; here the workers need the
//     closure `fn`, so they fork, before any thread exists). A second thread
//     at the call gives RuntimeError.
//  2. It blocks SIGTERM, SIGINT and SIGHUP and reads them from a signalfd, and
//     watches each worker through a pidfd; it never runs a runtime itself.
//  3. A worker that exits while the group is running (crash, signal, exit,
//     even exit code 0) is reaped and replaced by a fresh fork with the same
//     index. If more than `max_restarts` workers had to be replaced within
//     `restart_window`, the workers keep crashing: the supervisor stops the
//     others (as in 4) and returns `crash_exit_code`.
//  4. SIGTERM, SIGINT or SIGHUP: the supervisor forwards SIGTERM to every
//     worker, waits for them to exit (up to drain_timeout + kill_grace, then
//     SIGKILL), and returns 0 if every worker stopped cleanly, else 1. A
//     second signal during the stop is forwarded as well (the workers then
//     abort their connections at once).
//
// # A worker (each forked child)
//  1. Restores the signal mask, asks the kernel for SIGTERM when the
//     supervisor dies (PR_SET_PDEATHSIG), and calls coreio::run with
//     `options.runtime`; the main task calls fn(index) (index in [0, n)),
//     which starts and returns its Server. The server must listen with
//     SO_REUSEPORT: ServerOptions::reuse_port = true, or the default
//     per_loop accept mode, which sets it regardless.
//  2. SIGTERM or SIGINT (add_signal_handler on the main loop): the server is
//     closed (it stops accepting: new connections go to the other workers
//     while they listen), connections in flight run on; after drain_timeout
//     the rest are aborted. The worker exits with 0 once every connection is
//     gone. A second signal aborts the connections at once.
//  3. fn throwing, or the runtime failing, exits the worker with code 1 (the
//     error is printed to stderr); the supervisor replaces it as in 3 above.
//
// Thread safety: call once per process, from its only thread.
// Throws: ValueError (n == 0, an empty fn, a negative drain_timeout or
// kill_grace, a restart_window that is not positive),
// RuntimeError (the calling process has other threads), OSError (fork,
// signalfd or pidfd_open failed before any worker started). Once workers
// run, failures are reported by the return value.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

#include "coreio/net/server.hpp"
#include "coreio/runtime_config.hpp"

namespace coreio {

/// serve_processes' settings; every field has a usable default.
struct ProcessGroupOptions {
  /// Each worker's runtime. Default: RuntimeConfig{} (as coreio::run).
  RuntimeConfig runtime = {};
  /// How long a stopping worker lets its connections finish before it aborts
  /// them. Default 10 s. Example: `.drain_timeout = std::chrono::seconds(2)`.
  std::chrono::nanoseconds drain_timeout = std::chrono::seconds(10);
  /// Extra time the supervisor waits past drain_timeout before it SIGKILLs a
  /// worker that has not exited. Default 5 s.
  std::chrono::nanoseconds kill_grace = std::chrono::seconds(5);
  /// Replacements allowed within restart_window before the group gives up.
  /// Default 5 (the sixth crash inside the window ends the group).
  std::size_t max_restarts = 5;
  /// Default 10 s.
  std::chrono::nanoseconds restart_window = std::chrono::seconds(10);
  /// What serve_processes returns when workers keep crashing. Default 3.
  int crash_exit_code = 3;
};

/// Called in each worker, inside its runtime's main task, with the worker's
/// index; returns the server the worker runs (started with SO_REUSEPORT).
using ProcessGroupServe = std::function<Server(std::size_t worker)>;

/// Runs `fn` in `n` supervised worker processes (see the file comment) and
/// returns the supervisor's exit code once the group has stopped: 0 after a
/// clean stop on SIGTERM/SIGINT/SIGHUP, 1 if a worker had to be killed or
/// failed while stopping, crash_exit_code if workers kept crashing.
/// Never returns in a worker (they _exit).
int serve_processes(std::size_t n, ProcessGroupServe fn, ProcessGroupOptions options = {});

} // namespace coreio
