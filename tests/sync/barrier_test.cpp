#include "coreio/sync/barrier.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio/sync/exceptions.hpp"
#include "coreio_test.hpp"
#include "sync_test_support.hpp"

using namespace std::chrono_literals;
using synctest::eventually;
using synctest::on_one_loop;
using synctest::Probe;
using synctest::spawn_here;

TEST_SUITE("Barrier") {

COREIO_TEST_CASE("parties < 1 raises ValueError") {
  CHECK_THROWS_WITH_AS(coreio::Barrier(0), "parties must be > 0", coreio::ValueError);
  CHECK_THROWS_AS(coreio::Barrier(-3), coreio::ValueError);
  coreio::Barrier one(1);
  CHECK(one.parties() == 1);
}

COREIO_TEST_CASE("a barrier of one party passes at once") {
  coreio::Barrier barrier(1);
  CHECK(barrier.wait() == 0);
  CHECK(barrier.wait() == 0);
  CHECK(barrier.n_waiting() == 0);
  CHECK_FALSE(barrier.broken());
}

COREIO_TEST_CASE("wait returns unique indices and releases everyone when the barrier fills") {
  constexpr int parties = 5;
  coreio::Barrier barrier(parties);
  std::atomic<int> passed{0};
  std::vector<coreio::Task<std::size_t>> tasks;
  for (int i = 0; i < parties - 1; ++i) {
    tasks.push_back(coreio::create_task([&] {
      const std::size_t index = barrier.wait();
      passed.fetch_add(1);
      return index;
    }));
  }
  eventually([&] { return barrier.n_waiting() == parties - 1; });
  CHECK(passed.load() == 0);
  std::vector<std::size_t> indices{barrier.wait()};
  for (auto& t : tasks) indices.push_back(t.get());
  std::sort(indices.begin(), indices.end());
  CHECK(indices == std::vector<std::size_t>{0, 1, 2, 3, 4});
  CHECK(passed.load() == parties - 1);
  CHECK(barrier.n_waiting() == 0);
}

COREIO_TEST_CASE("the barrier can be used for many rounds by tasks on every loop and a plain thread") {
  constexpr int parties = 4;
  constexpr int rounds = 20;
  coreio::Barrier barrier(parties);
  std::mutex mu;
  std::vector<int> arrivals(rounds, 0);
  auto party = [&] {
    for (int r = 0; r < rounds; ++r) {
      {
        std::lock_guard g(mu);
        ++arrivals[static_cast<std::size_t>(r)];
      }
      barrier.wait();
      // Everyone of round r arrived before anyone left it.
      std::lock_guard g(mu);
      CHECK(arrivals[static_cast<std::size_t>(r)] == parties);
    }
  };
  synctest::Thread th(party);
  std::vector<coreio::Task<>> tasks;
  for (int i = 0; i < parties - 1; ++i) tasks.push_back(coreio::create_task(party));
  for (auto& t : tasks) t.get();
  th.join();
  CHECK_FALSE(barrier.broken());
}

COREIO_TEST_CASE("n_waiting counts tasks waiting for the barrier to fill") {
  coreio::Barrier barrier(3);
  CHECK(barrier.n_waiting() == 0);
  auto a = coreio::create_task([&] { return barrier.wait(); });
  eventually([&] { return barrier.n_waiting() == 1; });
  auto b = coreio::create_task([&] { return barrier.wait(); });
  eventually([&] { return barrier.n_waiting() == 2; });
  const std::size_t mine = barrier.wait();
  CHECK(mine == 2);
  CHECK(a.get() + b.get() == 1);
  CHECK(barrier.n_waiting() == 0);
}

COREIO_TEST_CASE("abort breaks the barrier for current and future waiters until reset") {
  coreio::Barrier barrier(3);
  auto a = coreio::create_task([&] { barrier.wait(); });
  auto b = coreio::create_task([&] { barrier.wait(); });
  eventually([&] { return barrier.n_waiting() == 2; });
  barrier.abort();
  CHECK(barrier.broken());
  CHECK_THROWS_WITH_AS(a.get(), "Abort or reset of barrier", coreio::BrokenBarrierError);
  CHECK_THROWS_AS(b.get(), coreio::BrokenBarrierError);
  CHECK_THROWS_WITH_AS(barrier.wait(), "Barrier aborted", coreio::BrokenBarrierError);
  CHECK(barrier.n_waiting() == 0);
  barrier.reset();
  CHECK_FALSE(barrier.broken());
  // Usable again.
  auto c = coreio::create_task([&] { return barrier.wait(); });
  auto d = coreio::create_task([&] { return barrier.wait(); });
  const std::size_t mine = barrier.wait();
  CHECK(mine + c.get() + d.get() == 3);
}

COREIO_TEST_CASE("reset makes the tasks inside raise BrokenBarrierError and the barrier usable again") {
  coreio::Barrier barrier(3);
  auto a = coreio::create_task([&] { barrier.wait(); });
  auto b = coreio::create_task([&] { barrier.wait(); });
  eventually([&] { return barrier.n_waiting() == 2; });
  barrier.reset();
  CHECK_THROWS_AS(a.get(), coreio::BrokenBarrierError);
  CHECK_THROWS_AS(b.get(), coreio::BrokenBarrierError);
  CHECK_FALSE(barrier.broken());
  CHECK(barrier.n_waiting() == 0);
  auto c = coreio::create_task([&] { return barrier.wait(); });
  auto d = coreio::create_task([&] { return barrier.wait(); });
  const std::size_t mine = barrier.wait();
  CHECK(mine + c.get() + d.get() == 3);
}

COREIO_TEST_CASE("reset while tasks are draining breaks those not yet out (test_reset_barrier_while_tasks_draining)") {
  on_one_loop([] {
    constexpr int n = 6;
    coreio::Barrier barrier(n);
    int passed = 0;
    int broken = 0;
    std::vector<coreio::Task<>> tasks;
    for (int i = 0; i < n; ++i) {
      tasks.push_back(spawn_here([&] {
        try {
          barrier.wait();
        } catch (const coreio::BrokenBarrierError&) {
          ++broken;
          return;
        }
        // The barrier drains one task at a time; when half of them are out,
        // the other half are still inside and must see the reset.
        if (++passed == n / 2) barrier.reset();
      }));
    }
    for (auto& t : tasks) t.get();
    CHECK(passed == n / 2);
    CHECK(broken == n / 2);
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
  });
}

COREIO_TEST_CASE("arrivals while the barrier drains wait for the next round") {
  on_one_loop([] {
    coreio::Barrier barrier(2);
    std::vector<std::string> log;
    auto a = spawn_here([&] {
      barrier.wait();
      log.push_back("a out");
    });
    auto b = spawn_here([&] {
      barrier.wait(); // fills: a is released but has not run (draining)
      log.push_back("b out");
    });
    auto c = spawn_here([&] {
      // Runs after b, before a: the barrier is still draining.
      barrier.wait();
      log.push_back("c out");
    });
    auto d = spawn_here([&] {
      barrier.wait();
      log.push_back("d out");
    });
    for (auto* t : {&a, &b, &c, &d}) t->get();
    CHECK(log.size() == 4);
    // c and d formed the second round, after both of the first were out.
    const auto pos = [&](const std::string& s) { return std::find(log.begin(), log.end(), s) - log.begin(); };
    CHECK(pos("c out") > pos("a out"));
    CHECK(pos("d out") > pos("a out"));
  });
}

COREIO_TEST_CASE("a cancelled waiter leaves the count (test_filling_tasks_cancel_one)") {
  coreio::Barrier barrier(3);
  auto a = coreio::create_task([&] { return barrier.wait(); });
  eventually([&] { return barrier.n_waiting() == 1; }); // a arrives first
  auto b = coreio::create_task([&] { return barrier.wait(); });
  eventually([&] { return barrier.n_waiting() == 2; });
  a.cancel();
  CHECK_THROWS_AS(a.get(), coreio::CancelledError);
  CHECK(barrier.n_waiting() == 1);
  auto c = coreio::create_task([&] { return barrier.wait(); });
  eventually([&] { return barrier.n_waiting() == 2; });
  const std::size_t mine = barrier.wait();
  CHECK(mine == 2);
  // asyncio's index is the count of tasks inside on arrival, so c takes the
  // index a's departure freed, the same as b's.
  CHECK(b.get() == 1);
  CHECK(c.get() == 1);
}

COREIO_TEST_CASE("wait in a loop callback raises RuntimeError unless it fills the barrier") {
  coreio::Barrier barrier(2);
  auto& loop = coreio::get_running_loop();
  auto result = loop.create_future<std::string>();
  loop.call_soon([&] {
    try {
      barrier.wait();
      result.set_result("returned");
    } catch (const coreio::RuntimeError&) {
      result.set_result("RuntimeError");
    }
  });
  CHECK(result.get() == "RuntimeError");
  CHECK(barrier.n_waiting() == 0);
  auto other = coreio::create_task([&] { return barrier.wait(); });
  eventually([&] { return barrier.n_waiting() == 1; });
  auto filled = loop.create_future<std::size_t>();
  loop.call_soon([&] { filled.set_result(barrier.wait()); });
  CHECK(filled.get() == 1);
  CHECK(other.get() == 0);
}

} // TEST_SUITE
