// MpiExecutor under `mpirun --oversubscribe -np 3` (tests/CMakeLists.txt):
// rank 0 runs these cases, ranks 1 and 2 serve calls in mpi_worker_main.
// The case that kills a rank runs last (doctest runs cases in file order)
// and the job is started with --enable-recovery so the others outlive it.
#include "coreio/mpi/mpi_executor.hpp"

#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

namespace {

std::int64_t square(std::int64_t x) { return x * x; }
COREIO_REGISTER_PROCESS_FUNCTION(square);

int rank_of_caller() { return coreio::mpi_rank(); }
COREIO_REGISTER_PROCESS_FUNCTION(rank_of_caller);

std::string fail_with(std::string msg) { throw std::invalid_argument(msg); }
COREIO_REGISTER_PROCESS_FUNCTION(fail_with);

int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return coreio::mpi_rank();
}
COREIO_REGISTER_PROCESS_FUNCTION(sleep_ms);

/// Kills its rank if it is `victim`; else answers with its rank.
int die_on(int victim, int ms) {
  if (coreio::mpi_rank() == victim) ::raise(SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return coreio::mpi_rank();
}
COREIO_REGISTER_PROCESS_FUNCTION(die_on);

int not_registered(int x) { return x; }

} // namespace

TEST_SUITE("MpiExecutor") {
  COREIO_TEST_CASE("10,000 calls from many tasks come back right, spread over every rank") {
    coreio::MpiExecutor mpi;
    REQUIRE(mpi.live_ranks() == 2);
    constexpr int tasks = 20, per_task = 500;
    std::vector<coreio::Task<std::int64_t>> workers;
    for (int t = 0; t < tasks; ++t)
      workers.push_back(coreio::create_task([&mpi, t] {
        std::int64_t bad = 0;
        std::vector<coreio::Future<std::int64_t>> futures;
        for (int i = 0; i < per_task; ++i) futures.push_back(mpi.submit(square, std::int64_t{t * per_task + i}));
        for (int i = 0; i < per_task; ++i) {
          const std::int64_t x = t * per_task + i;
          bad += futures[static_cast<std::size_t>(i)].get() != x * x;
        }
        return bad;
      }));
    std::int64_t bad = 0;
    for (auto& w : workers) bad += w.get();
    CHECK(bad == 0);
    std::vector<coreio::Future<int>> ranks;
    for (int i = 0; i < 40; ++i) ranks.push_back(mpi.submit(sleep_ms, 5));
    std::set<int> seen;
    for (auto& f : ranks) seen.insert(f.get());
    CHECK(seen == std::set<int>{1, 2}); // least-loaded dispatch uses both ranks
  }

  COREIO_TEST_CASE("an exception crosses ranks as ProcessError and fails only its own call") {
    coreio::MpiExecutor mpi;
    auto bad = mpi.submit(fail_with, std::string("no such thing"));
    auto good = mpi.submit(square, std::int64_t{12});
    try {
      (void)bad.get();
      FAIL("expected ProcessError");
    } catch (const coreio::ProcessError& e) {
      CHECK(e.remote_type() == "std::invalid_argument");
      CHECK(std::string(e.what()) == "no such thing");
    }
    CHECK(good.get() == 144);
    CHECK_THROWS_AS(mpi.submit(not_registered, 1), coreio::ValueError);
    auto r = coreio::get_running_loop().run_in_executor(&mpi, rank_of_caller).get();
    CHECK((r == 1 || r == 2));
  }

  COREIO_TEST_CASE("shutdown waits for calls, cancels queued ones on request, refuses new calls") {
    coreio::MpiExecutor mpi;
    std::vector<coreio::Future<int>> slow;
    for (int i = 0; i < 40; ++i)
      slow.push_back(mpi.submit(sleep_ms, 20)); // 2 ranks x 4 in flight: most queue on rank 0
    (void)slow.front().get(); // the first calls are out on the ranks now
    mpi.shutdown(/*wait=*/true, /*cancel_futures=*/true);
    int done = 0, cancelled = 0;
    for (auto& f : slow) {
      REQUIRE(f.done());
      if (f.cancelled()) ++cancelled;
      else {
        CHECK(f.result() >= 1);
        ++done;
      }
    }
    CHECK(done >= 2); // the first call and those in flight with it ran to the end
    CHECK(cancelled >= 1); // the queued ones never left rank 0
    CHECK_THROWS_AS(mpi.submit(square, std::int64_t{1}), coreio::RuntimeError);

    coreio::MpiExecutor again; // the ranks outlive an executor
    CHECK(again.submit(square, std::int64_t{3}).get() == 9);
  }

  TEST_CASE("a rank that dies fails only its calls with BrokenExecutor; queued calls finish on the others") {
    coreio::run([] {
      coreio::MpiExecutor mpi;
      REQUIRE(mpi.live_ranks() == 2);
      std::vector<coreio::Future<int>> calls;
      for (int i = 0; i < 30; ++i) calls.push_back(mpi.submit(die_on, 2, 30));
      int ok = 0, broken = 0;
      for (auto& f : calls) {
        try {
          const int r = f.get();
          CHECK(r == 1);
          ++ok;
        } catch (const coreio::BrokenExecutor&) {
          ++broken;
        }
      }
      CHECK(broken >= 1);
      CHECK(broken <= 4); // at most rank 2's window
      CHECK(ok + broken == 30);
      CHECK(mpi.live_ranks() == 1);
      CHECK(mpi.submit(square, std::int64_t{7}).get() == 49); // the survivor still serves
    });
  }

} // TEST_SUITE

int main(int argc, char** argv) {
  coreio::MpiOptions opts;
  opts.heartbeat_interval = std::chrono::milliseconds(50);
  // Long enough for a rank starved by a loaded 2-core host, short enough
  // for a quick test.
  opts.failure_timeout = std::chrono::seconds(4);
  if (coreio::mpi_worker_main(argc, argv, opts)) return 0;
  return doctest::Context(argc, argv).run();
}
