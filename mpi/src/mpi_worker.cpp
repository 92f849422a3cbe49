// MpiEndpoint on a worker rank: the communication loop and the compute
// threads (protocol in mpi_endpoint.hpp).
#include <unistd.h>

#include <cstdio>
#include <limits>

#include "mpi_endpoint.hpp"

namespace coreio::detail {

void MpiEndpoint::compute_main() {
  for (;;) {
    mpi_wire::Call job;
    {
      std::unique_lock lk(mu_);
      jobs_cv_.wait(lk, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return; // stop_ and nothing left to run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    ProcessOutcome out = run_registered_function(job.function, job.args);
    {
      std::lock_guard g(mu_);
      outbox_.push_back(mpi_wire::Reply{job.id, out.kind, std::move(out.payload), std::move(out.error_type)});
    }
    cv_.notify_one();
  }
}

void MpiEndpoint::worker_main() {
  for (std::size_t i = 0; i < options_.worker_threads; ++i) compute_.emplace_back([this] { compute_main(); });
  bool stopping = false;
  bool finalize = true;
  while (!stopping) {
    bool moved = false;
    // Receive what rank 0 sent.
    for (;;) {
      int found = 0;
      MPI_Message msg;
      MPI_Status st;
      if (MPI_Improbe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &found, &msg, &st) != MPI_SUCCESS || !found) break;
      int count = 0;
      MPI_Get_count(&st, MPI_BYTE, &count);
      std::string bytes(static_cast<std::size_t>(count), '\0');
      MPI_Mrecv(bytes.data(), count, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
      moved = true;
      heard_from_root_ = Clock::now();
      if (st.MPI_TAG == mpi_wire::ping) {
        send(0, mpi_wire::pong, {});
      } else if (st.MPI_TAG == mpi_wire::stop) {
        stopping = true;
        finalize = bytes != std::string(1, mpi_wire::stop_without_finalize);
      } else if (st.MPI_TAG == mpi_wire::call) {
        mpi_wire::Call call;
        try {
          call = from_blob<mpi_wire::Call>(bytes);
        } catch (const std::exception& e) {
          // No id to answer: the stream is corrupt. Leave, so rank 0 finds
          // this rank dead and fails its calls.
          std::fprintf(stderr, "coreio: MPI rank %d: undecodable call: %s; exiting\n", rank_, e.what());
          std::fflush(stderr);
          ::_exit(1);
        }
        {
          std::lock_guard g(mu_);
          jobs_.push_back(std::move(call));
        }
        jobs_cv_.notify_one();
      }
    }
    // Send the replies the compute threads produced.
    std::deque<mpi_wire::Reply> replies;
    {
      std::lock_guard g(mu_);
      replies.swap(outbox_);
    }
    for (mpi_wire::Reply& r : replies) {
      std::string bytes = to_blob(r);
      if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        bytes = to_blob(mpi_wire::Reply{r.id, ProcessOutcome::Kind::error, "the result is over 2 GiB serialized",
                                        "coreio::ValueError"});
      send(0, mpi_wire::reply, std::move(bytes));
      moved = true;
    }
    moved |= test_sends();
    if (Clock::now() - heard_from_root_ > options_.failure_timeout) {
      std::fprintf(stderr, "coreio: MPI rank %d: rank 0 fell silent; exiting\n", rank_);
      std::fflush(stderr);
      ::_exit(1);
    }
    if (!stopping) idle_wait(moved);
  }
  {
    std::lock_guard g(mu_);
    stop_ = true;
    jobs_.clear(); // rank 0 stops us only when it waits for nothing
  }
  jobs_cv_.notify_all();
  for (std::thread& t : compute_) t.join();
  const auto deadline = Clock::now() + options_.failure_timeout;
  while (!sends_.empty() && Clock::now() < deadline) {
    test_sends();
    idle_wait(false);
  }
  if (finalize) MPI_Finalize();
}

} // namespace coreio::detail
