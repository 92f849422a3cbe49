// MpiEndpoint: this process's side of the MPI job and its one
// communication thread (the only thread that calls MPI; see
// mpi_executor.hpp for the contract).
//
// # Messages (tags on MPI_COMM_WORLD, payloads cereal archives)
//   rank 0 -> worker:  call  {id, function name, argument blob}
//                      ping  (empty)   heartbeat, each heartbeat_interval
//                      stop  'F'|'N'   the job is over: exit, finalizing MPI
//                                      ('F') or not ('N': a rank died, see
//                                      driver_stop)
//   worker -> rank 0:  reply {id, kind, payload, error type}
//                      pong  (empty)   answer to ping
// Any message counts as a sign of life of its sender.
//
// # Rank 0: the driver loop (one iteration, communication thread)
//  1. under mu_: take new calls, cancellation requests and the stop flag;
//  2. drop queued calls whose futures are done (cancelled by their callers);
//  3. send queued calls to the live rank with the fewest in flight while one
//     has fewer than max_in_flight_per_rank (least loaded first);
//  4. test pending sends (their buffers live until MPI is done with them);
//  5. receive everything that has arrived (MPI_Improbe + MPI_Mrecv) and
//     complete the futures of replies;
//  6. heartbeats: ping live ranks; a rank silent for failure_timeout is
//     dead: its in-flight calls fail with BrokenExecutor, it is sent `stop`
//     (in case it is only slow) and never used again (pending sends to it
//     are released, see 'orphans_');
//  7. if nothing moved, wait on cv_ (new work wakes it) for a back-off that
//     doubles from min_idle to max_idle.
// On stop (the atexit hook): outstanding calls fail with BrokenExecutor,
// every live rank gets `stop`, and MPI is finalized on this thread - unless a
// rank died: Open MPI 4.1's MPI_Finalize then may wait forever for the dead
// rank in its closing fence, so no rank finalizes and the job just exits.
//
// # A worker rank
// The communication thread receives calls into jobs_ for the compute
// threads, answers pings, and sends the replies the compute threads leave in
// outbox_ (under mu_, waking cv_). On stop it lets the running calls end,
// joins the compute threads and finalizes. Silence of rank 0 for
// failure_timeout ends the process (_exit(1)) with a message: MPI_Finalize
// would wait for a rank that is gone.
#pragma once

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "coreio/mpi/mpi_executor.hpp"

namespace coreio::detail {

namespace mpi_wire {

enum Tag : int { call = 1, reply = 2, ping = 3, pong = 4, stop = 5 };
/// The one byte of a stop message.
inline constexpr char stop_and_finalize = 'F';
inline constexpr char stop_without_finalize = 'N';

struct Call {
  std::uint64_t id = 0;
  std::string function;
  std::string args;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(id, function, args);
  }
};

struct Reply {
  std::uint64_t id = 0;
  ProcessOutcome::Kind kind = ProcessOutcome::Kind::result;
  std::string payload;
  std::string error_type;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(id, kind, payload, error_type);
  }
};

} // namespace mpi_wire

/// One MpiExecutor's bookkeeping, shared with its calls.
struct MpiExecutorShare {
  std::mutex mu;
  std::condition_variable idle; ///< outstanding reached 0
  std::size_t outstanding = 0; ///< submitted, future not yet completed
  bool closed = false;
};

/// A call and the executor it belongs to.
struct MpiCall {
  ProcessCall call;
  std::shared_ptr<MpiExecutorShare> owner;
};

class MpiEndpoint {
public:
  using Clock = std::chrono::steady_clock;

  explicit MpiEndpoint(MpiOptions options);
  ~MpiEndpoint();
  MpiEndpoint(const MpiEndpoint&) = delete;
  MpiEndpoint& operator=(const MpiEndpoint&) = delete;

  /// The process's endpoint (after mpi_worker_main), or nullptr.
  static MpiEndpoint* instance() noexcept;
  /// mpi_worker_main: creates the endpoint, starts the communication thread,
  /// waits until MPI is initialized. Throws RuntimeError on a second call or
  /// an MPI without MPI_THREAD_FUNNELED.
  static MpiEndpoint& start(int& argc, char**& argv, MpiOptions options);

  [[nodiscard]] int rank() const noexcept { return rank_; }
  [[nodiscard]] int size() const noexcept { return size_; }

  /// Worker ranks: waits for the communication thread (which serves until
  /// `stop`) to finish.
  void join();
  /// Rank 0, at exit: stops the worker ranks and finalizes MPI.
  void finish();

  /// Rank 0, any thread. Throws RuntimeError once MPI is finishing.
  void submit(MpiCall call);
  /// Rank 0, any thread: cancels `owner`'s calls still queued on rank 0.
  void cancel_queued(const MpiExecutorShare* owner);
  /// Rank 0: worker ranks not found dead.
  [[nodiscard]] std::size_t live_ranks() const noexcept {
    // Relaxed: a statistic; nothing is published through it.
    return live_.load(std::memory_order_relaxed);
  }

private:
  struct RankState {
    bool alive = true;
    std::size_t in_flight = 0;
    Clock::time_point last_heard;
    Clock::time_point last_ping;
  };
  struct InFlight {
    int rank;
    MpiCall call;
  };
  struct PendingSend {
    MPI_Request request = MPI_REQUEST_NULL;
    std::string bytes; ///< must stay put until the send completes
    int dest = 0;
  };

  void init_state();
  void thread_main();
  // rank 0 (mpi_driver.cpp)
  void driver_main();
  bool driver_take_shared();
  bool driver_dispatch();
  bool driver_receive();
  bool driver_heartbeat();
  void driver_reply(int source, const std::string& bytes);
  void driver_rank_died(int rank, const char* why);
  void driver_stop();
  void finish_call(MpiCall& call);
  void fail_call(MpiCall& call, const std::string& why);
  // worker ranks (mpi_worker.cpp)
  void worker_main();
  void compute_main();
  // both
  void send(int dest, int tag, std::string bytes);
  bool test_sends();
  void idle_wait(bool moved);

  const MpiOptions options_;
  int rank_ = -1;
  int size_ = 0;
  std::thread thread_;

  // ---- shared, under mu_ ----
  std::mutex mu_;
  std::condition_variable cv_; ///< wakes the communication thread
  std::deque<MpiCall> incoming_;
  std::vector<const MpiExecutorShare*> cancel_requests_;
  bool stop_ = false;
  // worker ranks: the compute threads' queue and their replies
  std::condition_variable jobs_cv_;
  std::deque<mpi_wire::Call> jobs_;
  std::deque<mpi_wire::Reply> outbox_;
  std::atomic<std::size_t> live_{0};

  // ---- communication thread only ----
  std::deque<MpiCall> queue_;
  std::unordered_map<std::uint64_t, InFlight> in_flight_;
  std::vector<RankState> ranks_;
  std::list<PendingSend> sends_;
  /// Sends to dead ranks that MPI will never complete: released with
  /// MPI_Request_free, their buffers kept until the endpoint is destroyed
  /// (after MPI_Finalize), since MPI may still read them.
  std::list<PendingSend> orphans_;
  std::uint64_t next_id_ = 1;
  std::chrono::nanoseconds backoff_{0};
  Clock::time_point heard_from_root_;
  std::vector<std::thread> compute_;
};

} // namespace coreio::detail
