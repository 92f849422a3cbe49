// MpiEndpoint on rank 0: the driver loop (steps in mpi_endpoint.hpp).
#include <cstdio>
#include <iterator>
#include <limits>

#include "mpi_endpoint.hpp"

namespace coreio::detail {

void MpiEndpoint::submit(MpiCall call) {
  {
    std::lock_guard g(mu_);
    if (stop_) throw RuntimeError("MpiExecutor: MPI is finalizing");
    incoming_.push_back(std::move(call));
  }
  cv_.notify_one();
}

void MpiEndpoint::cancel_queued(const MpiExecutorShare* owner) {
  {
    std::lock_guard g(mu_);
    cancel_requests_.push_back(owner);
  }
  cv_.notify_one();
}

void MpiEndpoint::finish_call(MpiCall& call) {
  std::lock_guard g(call.owner->mu);
  if (--call.owner->outstanding == 0) call.owner->idle.notify_all();
}

void MpiEndpoint::fail_call(MpiCall& call, const std::string& why) {
  (void)call.call.future->set_exception(std::make_exception_ptr(BrokenExecutor(why)));
  finish_call(call);
}

void MpiEndpoint::driver_main() {
  for (;;) {
    bool moved = driver_take_shared();
    bool stopping = false;
    {
      std::lock_guard g(mu_);
      stopping = stop_;
    }
    if (stopping) break;
    moved |= driver_dispatch();
    moved |= test_sends();
    moved |= driver_receive();
    moved |= driver_heartbeat();
    idle_wait(moved);
  }
  driver_stop();
}

bool MpiEndpoint::driver_take_shared() {
  std::deque<MpiCall> fresh;
  std::vector<const MpiExecutorShare*> cancels;
  {
    std::lock_guard g(mu_);
    fresh.swap(incoming_);
    cancels.swap(cancel_requests_);
  }
  const bool moved = !fresh.empty() || !cancels.empty();
  for (MpiCall& c : fresh) queue_.push_back(std::move(c));
  for (const MpiExecutorShare* owner : cancels)
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (it->owner.get() == owner) {
        (void)it->call.future->cancel({});
        finish_call(*it);
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
  return moved;
}

bool MpiEndpoint::driver_dispatch() {
  bool moved = false;
  while (!queue_.empty()) {
    MpiCall& next = queue_.front();
    if (next.call.future->done()) { // cancelled by its caller: never sent
      finish_call(next);
      queue_.pop_front();
      moved = true;
      continue;
    }
    int best = -1;
    for (int r = 1; r < size_; ++r) {
      const RankState& s = ranks_[static_cast<std::size_t>(r)];
      if (s.alive && s.in_flight < options_.max_in_flight_per_rank &&
          (best < 0 || s.in_flight < ranks_[static_cast<std::size_t>(best)].in_flight))
        best = r;
    }
    if (best < 0) {
      if (live_ranks() == 0) {
        for (MpiCall& c : queue_) fail_call(c, "MpiExecutor: no worker rank is left");
        queue_.clear();
        moved = true;
      }
      break; // every live rank is at its window: the rest wait here
    }
    MpiCall call = std::move(next);
    queue_.pop_front();
    const std::uint64_t id = next_id_++;
    try {
      send(best, mpi_wire::call, to_blob(mpi_wire::Call{id, *call.call.function, std::move(call.call.args)}));
    } catch (const std::exception& e) {
      fail_call(call, std::string("MpiExecutor: cannot send the call: ") + e.what());
      moved = true;
      continue;
    }
    ++ranks_[static_cast<std::size_t>(best)].in_flight;
    in_flight_.emplace(id, InFlight{best, std::move(call)});
    moved = true;
  }
  return moved;
}

bool MpiEndpoint::driver_receive() {
  bool moved = false;
  for (;;) {
    int found = 0;
    MPI_Message msg;
    MPI_Status st;
    if (MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &found, &msg, &st) != MPI_SUCCESS || !found) break;
    int count = 0;
    MPI_Get_count(&st, MPI_BYTE, &count);
    std::string bytes(static_cast<std::size_t>(count), '\0');
    MPI_Mrecv(bytes.data(), count, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
    moved = true;
    const auto src = static_cast<std::size_t>(st.MPI_SOURCE);
    if (src >= ranks_.size() || !ranks_[src].alive) continue; // a rank declared dead stays dead
    ranks_[src].last_heard = Clock::now();
    if (st.MPI_TAG == mpi_wire::reply) driver_reply(st.MPI_SOURCE, bytes);
  }
  return moved;
}

void MpiEndpoint::driver_reply(int source, const std::string& bytes) {
  mpi_wire::Reply reply;
  try {
    reply = from_blob<mpi_wire::Reply>(bytes);
  } catch (const std::exception& e) {
    driver_rank_died(source, "sent a reply that cannot be decoded");
    return;
  }
  auto it = in_flight_.find(reply.id);
  if (it == in_flight_.end() || it->second.rank != source) return; // a call already failed over
  MpiCall call = std::move(it->second.call);
  in_flight_.erase(it);
  --ranks_[static_cast<std::size_t>(source)].in_flight;
  FutureStateBase& f = *call.call.future;
  switch (reply.kind) {
  case ProcessOutcome::Kind::result: try { call.call.complete(f, reply.payload);
    } catch (const std::exception& e) {
      (void)f.set_exception(std::make_exception_ptr(
          BrokenExecutor(std::string("cannot decode the result of '") + *call.call.function + "': " + e.what())));
    }
    break;
  case ProcessOutcome::Kind::error:
    (void)f.set_exception(std::make_exception_ptr(ProcessError(reply.error_type, reply.payload)));
    break;
  case ProcessOutcome::Kind::unknown_function:
    (void)f.set_exception(std::make_exception_ptr(ProcessError("coreio::LookupError", reply.payload)));
    break;
  }
  finish_call(call);
}

bool MpiEndpoint::driver_heartbeat() {
  bool moved = false;
  const auto now = Clock::now();
  for (int r = 1; r < size_; ++r) {
    RankState& s = ranks_[static_cast<std::size_t>(r)];
    if (!s.alive) continue;
    if (now - s.last_heard > options_.failure_timeout) {
      driver_rank_died(r, "fell silent (no answer to heartbeats)");
      moved = true;
    } else if (now - s.last_ping >= options_.heartbeat_interval) {
      s.last_ping = now;
      send(r, mpi_wire::ping, {});
      moved = true;
    }
  }
  return moved;
}

void MpiEndpoint::driver_rank_died(int rank, const char* why) {
  RankState& s = ranks_[static_cast<std::size_t>(rank)];
  s.alive = false;
  // Relaxed: a statistic (live_ranks()).
  live_.fetch_sub(1, std::memory_order_relaxed);
  std::fprintf(stderr, "coreio: MpiExecutor: rank %d %s; its %zu calls in flight fail, the others go on\n", rank, why,
               s.in_flight);
  const std::string msg = "MpiExecutor: rank " + std::to_string(rank) + " died while running the call (" + why + ")";
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->second.rank == rank) {
      fail_call(it->second.call, msg);
      it = in_flight_.erase(it);
    } else {
      ++it;
    }
  }
  s.in_flight = 0;
  // A rank only slow (starved past failure_timeout) is still running: tell
  // it to finalize, so it neither serves stale calls nor outlives the job.
  send(rank, mpi_wire::stop, std::string(1, mpi_wire::stop_without_finalize));
  for (auto it = sends_.begin(); it != sends_.end();) {
    if (it->dest == rank) {
      MPI_Request_free(&it->request);
      auto next = std::next(it);
      orphans_.splice(orphans_.end(), sends_, it);
      it = next;
    } else {
      ++it;
    }
  }
}

void MpiEndpoint::driver_stop() {
  for (MpiCall& c : queue_) fail_call(c, "MpiExecutor: MPI is finalizing (the program is exiting)");
  queue_.clear();
  for (auto& [id, f] : in_flight_) fail_call(f.call, "MpiExecutor: MPI is finalizing (the program is exiting)");
  in_flight_.clear();
  {
    std::lock_guard g(mu_);
    for (MpiCall& c : incoming_) fail_call(c, "MpiExecutor: MPI is finalizing (the program is exiting)");
    incoming_.clear();
  }
  // Once a rank has died, MPI_Finalize's closing fence may wait for it
  // forever (Open MPI 4.1, seen under --enable-recovery): then nobody
  // finalizes, the job just exits (mpirun accepts that with
  // --enable-recovery).
  const bool finalize = live_ranks() == static_cast<std::size_t>(size_ - 1);
  const char how = finalize ? mpi_wire::stop_and_finalize : mpi_wire::stop_without_finalize;
  for (int r = 1; r < size_; ++r)
    if (ranks_[static_cast<std::size_t>(r)].alive) send(r, mpi_wire::stop, std::string(1, how));
  // The stops (and anything before them) reach live ranks quickly; a rank
  // that is gone is given failure_timeout, then released.
  const auto deadline = Clock::now() + options_.failure_timeout;
  while (!sends_.empty() && Clock::now() < deadline) {
    test_sends();
    (void)driver_receive(); // drain late replies and pongs: a sender may wait for us to receive
    idle_wait(false);
  }
  for (PendingSend& s : sends_) MPI_Request_free(&s.request);
  orphans_.splice(orphans_.end(), sends_);
  if (finalize) MPI_Finalize();
}

} // namespace coreio::detail
