#include "coreio/sync/semaphore.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "sync_test_support.hpp"

using namespace std::chrono_literals;
using synctest::eventually;
using synctest::on_one_loop;
using synctest::Probe;
using synctest::spawn_here;

TEST_SUITE("Semaphore") {

COREIO_TEST_CASE("a negative initial value raises ValueError") {
  CHECK_THROWS_AS(coreio::Semaphore(-1), coreio::ValueError);
  CHECK_THROWS_AS(coreio::BoundedSemaphore(-1), coreio::ValueError);
  coreio::Semaphore zero(0);
  CHECK(zero.locked());
}

COREIO_TEST_CASE("acquire takes permits until the semaphore is locked; release gives them back") {
  coreio::Semaphore sem(3);
  CHECK_FALSE(sem.locked());
  CHECK(sem.acquire());
  CHECK(sem.acquire());
  CHECK_FALSE(sem.locked());
  CHECK(sem.acquire());
  CHECK(sem.locked());
  CHECK_FALSE(sem.try_acquire());
  sem.release();
  CHECK_FALSE(sem.locked());
  CHECK(sem.try_lock());
  sem.unlock();
  sem.release();
  sem.release();
  CHECK(sem.try_acquire());
  sem.release();
}

COREIO_TEST_CASE("the default semaphore has one permit") {
  coreio::Semaphore sem;
  CHECK(sem.try_acquire());
  CHECK(sem.locked());
  sem.release();
}

COREIO_TEST_CASE("a Semaphore may be released above its initial value; a BoundedSemaphore raises ValueError") {
  coreio::Semaphore sem(1);
  sem.release();
  CHECK(sem.try_acquire());
  CHECK(sem.try_acquire());
  CHECK(sem.locked());

  coreio::BoundedSemaphore bounded(2);
  CHECK_THROWS_WITH_AS(bounded.release(), "BoundedSemaphore released too many times", coreio::ValueError);
  bounded.acquire();
  bounded.release();
  CHECK_THROWS_AS(bounded.release(), coreio::ValueError);
  CHECK(bounded.try_acquire());
  CHECK(bounded.try_acquire());
  CHECK(bounded.locked());
  bounded.release();
  bounded.release();

  coreio::BoundedSemaphore none(0);
  CHECK(none.locked());
  CHECK_THROWS_AS(none.release(), coreio::ValueError);
}

COREIO_TEST_CASE("a BoundedSemaphore hands a release to a waiter without counting it twice") {
  coreio::BoundedSemaphore sem(1);
  sem.acquire();
  auto waiter = coreio::create_task([&] {
    sem.acquire();
    sem.release();
  });
  eventually([&] { return Probe::waiters(sem) == 1; });
  sem.release(); // handed to the waiter
  waiter.get();
  CHECK_FALSE(sem.locked());
  CHECK_THROWS_AS(sem.release(), coreio::ValueError);
}

COREIO_TEST_CASE("waiters are served in FIFO order (test_acquire_fifo_order)") {
  on_one_loop([] {
    coreio::Semaphore sem(0);
    std::vector<int> order;
    std::vector<coreio::Task<>> tasks;
    for (int i = 0; i < 5; ++i) {
      tasks.push_back(spawn_here([&, i] {
        sem.acquire();
        order.push_back(i);
      }));
    }
    eventually([&] { return Probe::waiters(sem) == 5; });
    for (int i = 0; i < 5; ++i) sem.release();
    for (auto& t : tasks) t.get();
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(sem.locked());
  });
}

COREIO_TEST_CASE("a woken waiter that has not run yet keeps the semaphore locked (test_acquire_fifo_order_4)") {
  // asyncio keeps a woken waiter in `_waiters` until it runs: releases made
  // meanwhile raise the value but locked() stays true, so newcomers queue
  // behind it, and the woken waiter then wakes as many as the value allows.
  on_one_loop([] {
    coreio::Semaphore sem(0);
    std::vector<int> result;
    coreio::Task<> t4;
    auto t1 = spawn_here([&] {
      CHECK(Probe::value(sem) == 0);
      sem.acquire();
      CHECK(Probe::value(sem) == 0); // it woke both waiters behind it
      t4 = spawn_here([&] { result.push_back(4); }); // runs after t3, not before t2
      result.push_back(1);
    });
    auto t2 = spawn_here([&] {
      sem.release(); // for t1
      sem.release();
      sem.release();
      CHECK(Probe::value(sem) == 2);
      CHECK(sem.locked()); // t1 has not run yet
      CHECK_FALSE(sem.try_acquire());
      sem.acquire();
      result.push_back(2);
    });
    auto t3 = spawn_here([&] {
      sem.acquire();
      CHECK(sem.locked());
      result.push_back(3);
    });
    coreio::yield_now(); // asyncio.sleep(0): t1 waits, t2 releases and queues, t3 queues
    CHECK(Probe::value(sem) == 2);
    CHECK(Probe::waiters(sem) == 2); // t2, t3; t1 holds its permit but has not run
    CHECK(sem.locked());
    t1.get();
    t2.get();
    t3.get();
    t4.get();
    CHECK(result == std::vector<int>{1, 2, 3, 4});
    CHECK(Probe::value(sem) == 0);
    CHECK(sem.locked());
  });
}

COREIO_TEST_CASE("a waiter woken and cancelled before it runs hands its permit on behind a pending waiter") {
  on_one_loop([] {
    coreio::Semaphore sem(0);
    std::vector<int> result;
    auto t1 = spawn_here([&] {
      sem.acquire();
      result.push_back(1);
    });
    auto t2 = spawn_here([&] {
      sem.acquire();
      result.push_back(2);
    });
    auto t3 = spawn_here([&] {
      sem.acquire();
      result.push_back(3);
    });
    eventually([&] { return Probe::waiters(sem) == 3; });
    sem.release(); // to t1
    sem.release(); // to t2
    t1.cancel(); // woken, not yet run: its permit goes to t3
    CHECK(sem.locked());
    CHECK_FALSE(sem.try_acquire());
    CHECK(synctest::outcome_of([&] { t1.get(); }) == "cancelled");
    t2.get();
    t3.get();
    CHECK(result == std::vector<int>{2, 3});
    CHECK(Probe::value(sem) == 0);
    sem.release();
    CHECK_FALSE(sem.locked());
    CHECK(sem.try_acquire());
  });
}

COREIO_TEST_CASE("waiters on different loops and threads are served in the order they queued") {
  coreio::Semaphore sem(0);
  std::mutex mu;
  std::vector<int> order;
  std::vector<coreio::Task<>> tasks;
  std::vector<std::unique_ptr<synctest::Thread>> threads;
  for (int i = 0; i < 5; ++i) {
    auto body = [&, i] {
      sem.acquire();
      std::lock_guard g(mu);
      order.push_back(i);
    };
    if (i == 2) threads.push_back(std::make_unique<synctest::Thread>(body));
    else tasks.push_back(coreio::create_task(body));
    eventually([&] { return Probe::waiters(sem) == static_cast<std::size_t>(i + 1); });
  }
  for (int i = 0; i < 5; ++i) {
    sem.release();
    eventually([&] {
      std::lock_guard g(mu);
      return order.size() == static_cast<std::size_t>(i + 1);
    });
  }
  for (auto& t : tasks) t.get();
  for (auto& th : threads) th->join();
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
}

COREIO_TEST_CASE("a newcomer cannot overtake a waiter handed a permit that has not run yet") {
  on_one_loop([] {
    coreio::Semaphore sem(1);
    sem.acquire();
    auto waiter = spawn_here([&] { sem.acquire(); });
    eventually([&] { return Probe::waiters(sem) == 1; });
    sem.release(); // handed to the waiter
    CHECK(sem.locked());
    CHECK_FALSE(sem.try_acquire());
    waiter.get();
    CHECK(sem.locked());
    sem.release();
    CHECK_FALSE(sem.locked());
  });
}

COREIO_TEST_CASE("a waiter handed a permit and cancelled gives it to the next waiter (test_acquire_cancel_before_awoken)") {
  on_one_loop([] {
    coreio::Semaphore sem(0);
    auto t1 = spawn_here([&] { sem.acquire(); });
    auto t2 = spawn_here([&] { sem.acquire(); });
    auto t3 = spawn_here([&] { sem.acquire(); });
    eventually([&] { return Probe::waiters(sem) == 3; });
    sem.release(); // to t1
    t1.cancel();   // before t1 runs
    CHECK_THROWS_AS(t1.get(), coreio::CancelledError);
    t2.get(); // got t1's permit
    CHECK_FALSE(t3.done());
    CHECK(sem.locked());
    sem.release();
    t3.get();
    CHECK(sem.locked());
  });
}

COREIO_TEST_CASE("cancelling a woken waiter does not hang the semaphore (test_acquire_hang, gh-90155)") {
  on_one_loop([] {
    coreio::Semaphore sem(1);
    coreio::Task<> t2;
    auto t1 = spawn_here([&] {
      {
        std::lock_guard guard(sem);
        coreio::yield_now(); // t2 queues on the semaphore
      }
      // The release handed the permit to t2; cancel t2 before it runs.
      t2.cancel();
    });
    t2 = spawn_here([&] {
      std::lock_guard guard(sem);
      FAIL("t2 must not get the semaphore");
    });
    t1.get();
    CHECK_THROWS_AS(t2.get(), coreio::CancelledError);
    CHECK_FALSE(sem.locked());
    CHECK(sem.try_acquire()); // the permit came back
    sem.release();
  });
}

COREIO_TEST_CASE("a cancelled waiter loses nothing and the semaphore stays usable") {
  coreio::Semaphore sem(0);
  auto a = coreio::create_task([&] { sem.acquire(); });
  auto b = coreio::create_task([&] { sem.acquire(); });
  eventually([&] { return Probe::waiters(sem) == 2; });
  a.cancel();
  b.cancel();
  CHECK_THROWS_AS(a.get(), coreio::CancelledError);
  CHECK_THROWS_AS(b.get(), coreio::CancelledError);
  CHECK(Probe::waiters(sem) == 0);
  sem.release();
  CHECK_FALSE(sem.locked());
  CHECK(sem.try_acquire());
  CHECK(sem.locked());
}

COREIO_TEST_CASE("acquire in a loop callback raises RuntimeError when no permit is free") {
  coreio::Semaphore sem(0);
  auto& loop = coreio::get_running_loop();
  auto result = loop.create_future<std::string>();
  loop.call_soon([&] {
    try {
      sem.acquire();
      result.set_result("acquired");
    } catch (const coreio::RuntimeError&) {
      result.set_result("RuntimeError");
    }
  });
  CHECK(result.get() == "RuntimeError");
  CHECK(Probe::waiters(sem) == 0);
  sem.release();
  CHECK(sem.try_acquire());
}

COREIO_TEST_CASE("tasks and plain OS threads never exceed the permits") {
  coreio::Semaphore sem(3);
  std::atomic<int> inside{0};
  std::atomic<int> peak{0};
  auto critical = [&] {
    const int now = inside.fetch_add(1) + 1;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    std::this_thread::yield();
    inside.fetch_sub(1);
  };
  synctest::Thread th([&] {
    for (int i = 0; i < 100; ++i) {
      std::lock_guard g(sem);
      critical();
    }
  });
  std::vector<coreio::Task<>> tasks;
  for (int t = 0; t < 6; ++t) {
    tasks.push_back(coreio::create_task([&] {
      for (int i = 0; i < 100; ++i) {
        std::lock_guard g(sem);
        critical();
        if (i % 8 == 0) coreio::yield_now();
      }
    }));
  }
  for (auto& t : tasks) t.get();
  th.join();
  CHECK(peak.load() <= 3);
  CHECK(peak.load() >= 1);
  CHECK_FALSE(sem.locked());
}

COREIO_TEST_CASE("Semaphore of 3 workers (seed): at most three hold it, the others wait their turn") {
  // Seed 003 section 5.1.4. The seed's workers sleep a random time; here each
  // worker's work ends when the test says so (a done event per worker), in a
  // fixed order, so the output is the same however slow the machine is.
  on_one_loop([] {
    coreio::Semaphore sem(3);
    synctest::Output out;
    int inside = 0;
    int peak = 0;
    const std::vector<std::string> names = {"a", "b", "c", "d", "e"};
    std::vector<coreio::Event> done(names.size());
    auto worker = [&](std::size_t i) {
      std::lock_guard guard(sem);
      out.print("worker " + names[i] + " acquired the semaphore");
      peak = std::max(peak, ++inside);
      done[i].wait(); // the work
      --inside;
      out.print("worker " + names[i] + " releasing semaphore");
    };
    std::vector<coreio::Task<>> tasks;
    for (std::size_t i = 0; i < names.size(); ++i) tasks.push_back(spawn_here([&, i] { worker(i); }));
    std::size_t expected_lines = 3; // a, b and c start at once; d and e wait
    eventually([&] { return out.lines().size() == expected_lines; });
    for (std::size_t finish : {1, 3, 2, 0, 4}) { // b, d, c, a, e
      done[finish].set();
      // The release, plus an acquisition by the next waiter if one is left.
      expected_lines += (finish == 1 || finish == 3) ? 2 : 1;
      eventually([&] { return out.lines().size() == expected_lines; });
    }
    for (auto& t : tasks) t.get();
    CHECK(peak == 3);
    const std::vector<std::string> expected = {
        "worker a acquired the semaphore", "worker b acquired the semaphore", "worker c acquired the semaphore",
        "worker b releasing semaphore",    "worker d acquired the semaphore", "worker d releasing semaphore",
        "worker e acquired the semaphore", "worker c releasing semaphore",    "worker a releasing semaphore",
        "worker e releasing semaphore",
    };
    CHECK(out.lines() == expected);
  });
}

} // TEST_SUITE
