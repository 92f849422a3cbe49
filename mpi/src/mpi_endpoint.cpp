// MpiEndpoint (mpi_endpoint.hpp): start-up, the shared send/back-off
// helpers, the public entry points and the MpiExecutor facade.
#include "mpi_endpoint.hpp"

#include <cstdio>
#include <cstdlib>
#include <future>
#include <limits>

namespace coreio::detail {

namespace {

/// Written once by MpiEndpoint::start() (on the thread that calls
/// mpi_worker_main, before any other coreio thread can look), never reset.
std::atomic<MpiEndpoint*> the_endpoint{nullptr};

constexpr std::chrono::microseconds min_idle{20}; ///< first wait after activity
constexpr std::chrono::microseconds max_idle{500}; ///< wait cap: bounds the latency of a message

} // namespace

MpiEndpoint::MpiEndpoint(MpiOptions options) : options_(options) {}

MpiEndpoint::~MpiEndpoint() = default;

MpiEndpoint* MpiEndpoint::instance() noexcept {
  // Acquire: pairs with the Release store in start(); the endpoint's
  // rank/size were written before it.
  return the_endpoint.load(std::memory_order_acquire);
}

MpiEndpoint& MpiEndpoint::start(int& argc, char**& argv, MpiOptions options) {
  static std::atomic<bool> started{false};
  // Relaxed: only its own value matters (a second call must fail).
  if (started.exchange(true, std::memory_order_relaxed)) throw RuntimeError("mpi_worker_main() called twice");
  // Leaked on purpose: the atexit hook and late submitters may use it until
  // the process ends.
  auto* ep = new MpiEndpoint(options);
  std::promise<void> ready;
  auto up = ready.get_future();
  // The promise moves into the thread: start() returns (destroying its
  // locals) as soon as the future is ready. argc/argv are only used before.
  ep->thread_ = std::thread([ep, &argc, &argv, ready = std::move(ready)]() mutable {
    try {
      int provided = 0;
      if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        throw RuntimeError("MPI_Init_thread failed");
      if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        throw RuntimeError("this MPI does not provide MPI_THREAD_FUNNELED");
      }
      MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
      MPI_Comm_rank(MPI_COMM_WORLD, &ep->rank_);
      MPI_Comm_size(MPI_COMM_WORLD, &ep->size_);
      ep->init_state(); // before `ready`: an executor may be created at once
    } catch (...) {
      ready.set_exception(std::current_exception());
      return;
    }
    ready.set_value();
    ep->thread_main();
  });
  try {
    up.get();
  } catch (...) {
    ep->thread_.join();
    throw;
  }
  // Release: publishes rank_/size_; pairs with the Acquire in instance().
  the_endpoint.store(ep, std::memory_order_release);
  return *ep;
}

void MpiEndpoint::init_state() {
  const auto now = Clock::now();
  heard_from_root_ = now;
  if (rank_ != 0) return;
  ranks_.assign(static_cast<std::size_t>(size_), RankState{.last_heard = now, .last_ping = now});
  ranks_[0].alive = false; // rank 0 runs no calls
  // Relaxed: a statistic (live_ranks()); the other threads first see it
  // after the promise handed over (which orders it anyway).
  live_.store(static_cast<std::size_t>(size_ - 1), std::memory_order_relaxed);
}

void MpiEndpoint::thread_main() {
  if (rank_ == 0) driver_main();
  else worker_main();
}

void MpiEndpoint::join() {
  if (thread_.joinable()) thread_.join();
}

void MpiEndpoint::finish() {
  {
    std::lock_guard g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  join();
}

void MpiEndpoint::send(int dest, int tag, std::string bytes) {
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw ValueError("MPI message over 2 GiB");
  sends_.push_back(PendingSend{.bytes = std::move(bytes), .dest = dest});
  PendingSend& s = sends_.back();
  if (MPI_Isend(s.bytes.data(), static_cast<int>(s.bytes.size()), MPI_BYTE, dest, tag, MPI_COMM_WORLD, &s.request) !=
      MPI_SUCCESS) {
    sends_.pop_back();
    throw RuntimeError("MPI_Isend to rank " + std::to_string(dest) + " failed");
  }
}

bool MpiEndpoint::test_sends() {
  bool moved = false;
  for (auto it = sends_.begin(); it != sends_.end();) {
    int done = 0;
    if (MPI_Test(&it->request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) done = 1; // failed: nothing to wait for
    if (done) {
      it = sends_.erase(it);
      moved = true;
    } else {
      ++it;
    }
  }
  return moved;
}

void MpiEndpoint::idle_wait(bool moved) {
  if (moved) {
    backoff_ = std::chrono::nanoseconds(0);
    return;
  }
  backoff_ = backoff_.count() == 0 ? std::chrono::nanoseconds(min_idle)
                                   : std::min<std::chrono::nanoseconds>(backoff_ * 2, max_idle);
  std::unique_lock lk(mu_);
  if (!incoming_.empty() || !outbox_.empty() || !cancel_requests_.empty() || stop_) return;
  cv_.wait_for(lk, backoff_);
}

} // namespace coreio::detail

namespace coreio {

bool mpi_worker_main(int& argc, char**& argv, MpiOptions options) {
  if (options.worker_threads == 0 || options.max_in_flight_per_rank == 0 || options.heartbeat_interval.count() <= 0 ||
      options.failure_timeout <= options.heartbeat_interval)
    throw ValueError(
        "mpi_worker_main: worker_threads and max_in_flight_per_rank must be >= 1, "
        "0 < heartbeat_interval < failure_timeout");
  detail::MpiEndpoint& ep = detail::MpiEndpoint::start(argc, argv, options);
  if (ep.rank() != 0) {
    ep.join();
    return true;
  }
  std::atexit(+[] { detail::MpiEndpoint::instance()->finish(); });
  return false;
}

int mpi_rank() noexcept {
  auto* ep = detail::MpiEndpoint::instance();
  return ep ? ep->rank() : -1;
}

int mpi_size() noexcept {
  auto* ep = detail::MpiEndpoint::instance();
  return ep ? ep->size() : 0;
}

MpiExecutor::MpiExecutor() : share_(std::make_shared<detail::MpiExecutorShare>()) {
  auto* ep = detail::MpiEndpoint::instance();
  if (!ep || ep->rank() != 0)
    throw RuntimeError("MpiExecutor: call coreio::mpi_worker_main() first, and create executors on rank 0 only");
  if (ep->size() < 2)
    throw ValueError("MpiExecutor: the MPI job has no worker rank (start it with mpirun -np 2 or more)");
}

MpiExecutor::~MpiExecutor() { shutdown(true, false); }

void MpiExecutor::submit_call(detail::ProcessCall call) {
  // The call message adds the id and the function name to the blob.
  if (call.args.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) - 64 * 1024)
    throw ValueError("MpiExecutor: serialized arguments over 2 GiB do not fit an MPI message");
  {
    std::lock_guard g(share_->mu);
    if (share_->closed) throw RuntimeError("cannot schedule new futures after shutdown");
    ++share_->outstanding;
  }
  try {
    detail::MpiEndpoint::instance()->submit(detail::MpiCall{std::move(call), share_});
  } catch (...) {
    std::lock_guard g(share_->mu);
    --share_->outstanding;
    throw;
  }
}

void MpiExecutor::shutdown(bool wait, bool cancel_futures) {
  {
    std::lock_guard g(share_->mu);
    share_->closed = true;
  }
  if (cancel_futures) detail::MpiEndpoint::instance()->cancel_queued(share_.get());
  if (!wait) return;
  std::unique_lock lk(share_->mu);
  share_->idle.wait(lk, [&] { return share_->outstanding == 0; });
}

std::size_t MpiExecutor::live_ranks() const { return detail::MpiEndpoint::instance()->live_ranks(); }

} // namespace coreio
