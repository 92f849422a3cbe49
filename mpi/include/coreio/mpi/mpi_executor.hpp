// MpiExecutor: ProcessPoolExecutor's interface over the ranks of an MPI job.
//
// A pipeline whose CPU stages outgrow one machine keeps its loops and its IO
// on rank 0 and ships the CPU calls to the other ranks of an MPI job (Open
// MPI's launcher places them on the cluster's hosts). The calls are the
// process pool's: registered functions (COREIO_REGISTER_PROCESS_FUNCTION),
// arguments and results serialized with cereal.
//
//   Digest digest(std::string data);
//   COREIO_REGISTER_PROCESS_FUNCTION(digest);
//
//   int main(int argc, char** argv) {
//     if (coreio::mpi_worker_main(argc, argv)) return 0;   // ranks 1..n-1 serve here
//     coreio::run([] {                                       // rank 0
//       coreio::MpiExecutor mpi;
//       Digest d = coreio::get_running_loop().run_in_executor(&mpi, digest, data).get();
//     });
//   }
//   $ mpirun -np 3 ./pipeline ...
//
// # One communication thread per process
// MPI is initialized with MPI_THREAD_FUNNELED by a thread coreio starts in
// mpi_worker_main() (the "main thread" in MPI's sense), and every later MPI
// call happens on that thread: no loop, task or submitter ever calls MPI.
// It uses only non-blocking operations (MPI_Isend, MPI_Improbe + MPI_Mrecv,
// MPI_Test) and sleeps on a condition variable, with a short back-off, when
// nothing moved.
//  - Rank 0: submissions land in a queue under a mutex; the thread sends each
//    call to the live rank with the fewest calls in flight, up to
//    max_in_flight_per_rank per rank (the rest wait on rank 0, where they can
//    still be cancelled or moved to another rank), and completes the future
//    of each reply. Completing a future posts the waiting task back to its
//    own loop (through the loop's inbox, the path call_soon_threadsafe
//    takes), never runs it on the communication thread.
//  - Ranks 1..n-1: calls go to `worker_threads` compute threads; their
//    replies are sent by the communication thread, which therefore keeps
//    answering heartbeats while the calls run.
//
// # Faults
// Open MPI 4.1 (Debian 12) has no fault-tolerant MPI (ULFM): by default
// mpirun aborts the whole job when any rank dies. Started with
// `mpirun --enable-recovery`, the other ranks live on, but MPI reports
// nothing: receives from the dead rank simply never match, and sends to it
// may stay pending forever. coreio therefore detects death itself: rank 0
// pings every live rank each heartbeat_interval, and a rank silent for
// failure_timeout is dead. Its calls in flight fail with BrokenExecutor (they
// may or may not have run: at most once); calls still queued on rank 0 go to
// the other ranks; with no rank left every call fails with BrokenExecutor. A
// worker rank that hears nothing from rank 0 for failure_timeout exits, so
// a job whose rank 0 died does not linger. Rank 0 itself cannot be lost: it
// owns the program. A function that throws fails only its own call, with
// ProcessError (remote exception type and what()), as in the process pool.
// What Open MPI 4.1 cannot survive, precisely:
//  - any rank's death without `--enable-recovery` (mpirun kills the job);
//  - MPI_Finalize after a death: its closing fence may wait for the dead
//    rank forever, so once a rank died no rank finalizes (the job exits
//    with status 0 all the same under --enable-recovery, which makes
//    mpirun exit 0 whatever the ranks' exit codes);
//  - rank 0's death: the worker ranks leave after failure_timeout (exit 1);
//  - a rank that is alive but starved past failure_timeout is treated as
//    dead (its calls fail; it is told to leave), so failure_timeout must
//    exceed the longest stall a loaded host gives a process.
//
// # Lifetime
// mpi_worker_main() initializes MPI; on rank 0 MPI stays up until the
// process exits (an atexit hook stops the worker ranks and calls
// MPI_Finalize), so several MpiExecutors may be created one after another
// or side by side; they share the ranks.
//
// Thread safety: submit() and shutdown() may be called from any thread.
// Resumes on: a task waiting on a call's future is woken on its own loop.
// Cancellation: a call still queued on rank 0 whose future is cancelled is
// never sent; a call already sent runs to the end and its result is dropped.
// Throws: the constructor throws RuntimeError if mpi_worker_main() was not
// called (or this is not rank 0) and ValueError if the job has no worker
// rank (-np 1); submit() throws ValueError for an unregistered function or an
// argument blob over 2 GiB (MPI counts are int), RuntimeError after shutdown.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "coreio/process_pool_executor.hpp"

namespace coreio {

/// The job-wide settings, given to mpi_worker_main() on every rank (all
/// ranks run the same program with the same arguments, so they agree).
struct MpiOptions {
  /// Compute threads of a worker rank (calls it runs at once). Default 1
  /// (one rank per core is MPI's usual placement).
  std::size_t worker_threads = 1;
  /// Calls rank 0 keeps in flight on one rank (sent, not yet answered), so a
  /// rank never idles between calls. Default 4.
  std::size_t max_in_flight_per_rank = 4;
  /// Default 100 ms.
  std::chrono::nanoseconds heartbeat_interval = std::chrono::milliseconds(100);
  /// A rank silent this long is dead. Default 5 s; longer than any pause a
  /// loaded host gives a process (it is about silence, not call length).
  std::chrono::nanoseconds failure_timeout = std::chrono::seconds(5);
};

/// The MPI hook. Call it first thing in main(): it initializes MPI. On a
/// worker rank it serves calls until rank 0 releases it (or falls silent),
/// finalizes MPI and returns true: main should then return 0. On rank 0 it
/// returns false and the program goes on (create MpiExecutors). Throws
/// RuntimeError if called twice or if MPI cannot be initialized with at
/// least MPI_THREAD_FUNNELED; ValueError for invalid options.
bool mpi_worker_main(int& argc, char**& argv, MpiOptions options = {});

/// This process's rank and the job's size (valid after mpi_worker_main()).
[[nodiscard]] int mpi_rank() noexcept;
[[nodiscard]] int mpi_size() noexcept;

namespace detail {
class MpiEndpoint;
struct MpiExecutorShare;
} // namespace detail

class MpiExecutor {
public:
  MpiExecutor();
  /// shutdown(wait = true).
  ~MpiExecutor();
  MpiExecutor(const MpiExecutor&) = delete;
  MpiExecutor& operator=(const MpiExecutor&) = delete;

  /// concurrent.futures submit(fn, *args), as ProcessPoolExecutor::submit.
  template <class R, class... P, class... A>
  requires(sizeof...(P) == sizeof...(A) &&
           (std::is_constructible_v<std::decay_t<P>, A&&> && ...)) Future<std::decay_t<R>> submit(R (*fn)(P...),
                                                                                                  A&&... args) {
    auto [fut, call] = detail::make_process_call("MpiExecutor", fn, std::forward<A>(args)...);
    submit_call(std::move(call));
    return fut;
  }

  /// As ProcessPoolExecutor::shutdown: no new calls; cancel_futures cancels
  /// this executor's calls still queued on rank 0; wait returns once every
  /// call of this executor has finished. The ranks stay up for others.
  void shutdown(bool wait = true, bool cancel_futures = false);

  /// Worker ranks still alive (mpi_size() - 1 minus the dead).
  [[nodiscard]] std::size_t live_ranks() const;

private:
  void submit_call(detail::ProcessCall call);

  std::shared_ptr<detail::MpiExecutorShare> share_;
};

} // namespace coreio
