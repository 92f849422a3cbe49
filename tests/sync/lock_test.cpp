#include "coreio/sync/lock.hpp"

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

TEST_SUITE("Lock") {

COREIO_TEST_CASE("a new lock is unlocked; acquire locks it and release unlocks it") {
  coreio::Lock lock;
  CHECK_FALSE(lock.locked());
  CHECK(lock.acquire());
  CHECK(lock.locked());
  lock.release();
  CHECK_FALSE(lock.locked());
}

COREIO_TEST_CASE("releasing an unlocked lock raises RuntimeError and leaves the lock usable") {
  coreio::Lock lock;
  CHECK_THROWS_AS(lock.release(), coreio::RuntimeError);
  CHECK_THROWS_WITH(lock.unlock(), "Lock is not acquired.");
  CHECK_FALSE(lock.locked());
  lock.lock();
  CHECK(lock.locked());
  lock.unlock();
  CHECK_THROWS_AS(lock.release(), coreio::RuntimeError);
}

COREIO_TEST_CASE("try_lock takes a free lock and fails on a held one without waiting") {
  coreio::Lock lock;
  CHECK(lock.try_lock());
  CHECK_FALSE(lock.try_lock());
  CHECK_FALSE(lock.try_acquire());
  lock.release();
  CHECK(lock.try_acquire());
  lock.release();
}

COREIO_TEST_CASE("std::lock_guard and std::unique_lock suspend the task instead of blocking the thread") {
  on_one_loop([] {
    coreio::Lock lock;
    int counter = 0;
    bool other_ran = false;
    lock.lock();
    auto guarded = spawn_here([&] {
      std::lock_guard guard(lock);
      ++counter;
    });
    auto unique = spawn_here([&] {
      std::unique_lock guard(lock);
      ++counter;
      guard.unlock();
      CHECK_FALSE(guard.owns_lock());
    });
    // Both tasks wait for the lock; if they blocked the (only) thread of this
    // loop, this task would never run again.
    auto other = spawn_here([&] { other_ran = true; });
    other.get();
    eventually([&] { return Probe::waiters(lock) == 2; });
    CHECK(other_ran);
    CHECK(counter == 0);
    lock.unlock();
    guarded.get();
    unique.get();
    CHECK(counter == 2);
    CHECK_FALSE(lock.locked());
  });
}

COREIO_TEST_CASE("std::scoped_lock takes two coreio locks, suspending while either is held") {
  coreio::Lock a;
  coreio::Lock b;
  int total = 0;
  std::vector<coreio::Task<>> tasks;
  for (int i = 0; i < 8; ++i) {
    tasks.push_back(coreio::create_task([&, i] {
      for (int k = 0; k < 50; ++k) {
        // One lock order everywhere (see lock.hpp on std::lock and FIFO locks).
        std::scoped_lock both(a, b);
        ++total;
        if ((k + i) % 7 == 0) coreio::yield_now();
      }
    }));
  }
  for (auto& t : tasks) t.get();
  CHECK(total == 400);
  CHECK_FALSE(a.locked());
  CHECK_FALSE(b.locked());
}

COREIO_TEST_CASE("waiters on one loop acquire the lock in FIFO order") {
  on_one_loop([] {
    coreio::Lock lock;
    std::vector<int> order;
    lock.acquire();
    std::vector<coreio::Task<>> tasks;
    for (int i = 0; i < 6; ++i) {
      tasks.push_back(spawn_here([&, i] {
        std::lock_guard guard(lock);
        order.push_back(i);
      }));
    }
    eventually([&] { return Probe::waiters(lock) == 6; });
    lock.release();
    for (auto& t : tasks) t.get();
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});
  });
}

COREIO_TEST_CASE("waiters on different loops and threads acquire the lock in the order they queued") {
  coreio::Lock lock;
  std::mutex order_mu;
  std::vector<int> order;
  auto record = [&](int i) {
    std::lock_guard g(order_mu);
    order.push_back(i);
  };
  lock.acquire();
  std::vector<coreio::Task<>> tasks;
  std::vector<std::unique_ptr<synctest::Thread>> threads;
  for (int i = 0; i < 6; ++i) {
    if (i == 3) {
      threads.push_back(std::make_unique<synctest::Thread>([&, i] {
        lock.acquire();
        record(i);
        lock.release();
      }));
    } else {
      tasks.push_back(coreio::create_task([&, i] {
        lock.acquire();
        record(i);
        lock.release();
      }));
    }
    // Queue each one only after the previous is linked, so FIFO is defined.
    eventually([&] { return Probe::waiters(lock) == static_cast<std::size_t>(i + 1); });
  }
  lock.release();
  for (auto& t : tasks) t.get();
  for (auto& th : threads) th->join();
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});
}

COREIO_TEST_CASE("a newcomer does not overtake a waiter that was handed the lock but has not run") {
  on_one_loop([] {
    coreio::Lock lock;
    std::vector<std::string> order;
    lock.acquire();
    auto waiter = spawn_here([&] {
      lock.acquire();
      order.push_back("waiter");
      lock.release();
    });
    eventually([&] { return Probe::waiters(lock) == 1; });
    lock.release(); // handed to `waiter`, which has not run yet
    CHECK(lock.locked());
    CHECK_FALSE(lock.try_lock());
    lock.acquire(); // queues behind it
    order.push_back("newcomer");
    lock.release();
    waiter.get();
    CHECK(order == std::vector<std::string>{"waiter", "newcomer"});
  });
}

COREIO_TEST_CASE("a waiter cancelled before the release raises CancelledError and the next waiter gets the lock") {
  on_one_loop([] {
    coreio::Lock lock;
    lock.acquire();
    auto first = spawn_here([&] { lock.acquire(); });
    auto second = spawn_here([&] {
      lock.acquire();
      lock.release();
      return 2;
    });
    eventually([&] { return Probe::waiters(lock) == 2; });
    first.cancel();
    CHECK_THROWS_AS(first.get(), coreio::CancelledError);
    CHECK(Probe::waiters(lock) == 1);
    lock.release();
    CHECK(second.get() == 2);
    CHECK_FALSE(lock.locked());
  });
}

COREIO_TEST_CASE("a waiter handed the lock and cancelled before it runs passes the lock on (test_finished_waiter_cancelled)") {
  on_one_loop([] {
    coreio::Lock lock;
    lock.acquire();
    auto tb = spawn_here([&] { lock.acquire(); });
    eventually([&] { return Probe::waiters(lock) == 1; });
    // A second waiter, then wake the first and cancel it in the same step.
    auto tc = spawn_here([&] { lock.acquire(); });
    tb.cancel();
    lock.release();
    coreio::yield_now();
    CHECK(lock.locked());
    CHECK_THROWS_AS(tb.get(), coreio::CancelledError);
    CHECK(tb.cancelled());
    tc.get(); // without the hand-on, tc would never be woken
    CHECK(lock.locked());
    lock.release();
  });
}

COREIO_TEST_CASE("a release racing with the cancel of a waiter hands out one lock only (test_cancel_release_race)") {
  on_one_loop([] {
    coreio::Lock lock;
    int lock_count = 0;
    int call_count = 0;
    auto lockit = [&] {
      ++call_count;
      lock.acquire();
      ++lock_count;
    };
    lock.acquire();
    auto t1 = spawn_here(lockit);
    auto t2 = spawn_here(lockit);
    auto t3 = spawn_here(lockit);
    eventually([&] { return Probe::waiters(lock) == 3; });
    coreio::get_running_loop().call_soon([&] {
      t1.cancel();
      lock.release();
    });
    CHECK_THROWS_AS(t1.get(), coreio::CancelledError);
    t2.get();
    CHECK(lock_count == 1);
    CHECK(call_count == 3);
    CHECK(t1.cancelled());
    CHECK(t2.done());
    CHECK_FALSE(t3.done());
    t3.cancel();
    CHECK_THROWS_AS(t3.get(), coreio::CancelledError);
    CHECK(t3.cancelled());
    CHECK(lock.locked()); // still t2's
    lock.release();
  });
}

COREIO_TEST_CASE("taking a free lock does not deliver a pending cancellation; the next suspension does") {
  coreio::Lock lock;
  auto t = coreio::create_task([&] {
    coreio::current_task().cancel("now");
    lock.acquire(); // free: no suspension, so no CancelledError here
    lock.release();
    coreio::yield_now(); // the pending cancellation is delivered here
  });
  CHECK_THROWS_AS(t.get(), coreio::CancelledError);
  CHECK_FALSE(lock.locked());
}

COREIO_TEST_CASE("acquire in a loop callback works on a free lock and raises RuntimeError on a held one") {
  coreio::Lock lock;
  auto& loop = coreio::get_running_loop();
  coreio::Future<std::string> free_result = loop.create_future<std::string>();
  loop.call_soon([&] {
    lock.acquire();
    lock.release();
    free_result.set_result("ok");
  });
  CHECK(free_result.get() == "ok");
  lock.acquire();
  coreio::Future<std::string> held_result = loop.create_future<std::string>();
  loop.call_soon([&] {
    try {
      lock.acquire();
      held_result.set_result("acquired");
    } catch (const coreio::RuntimeError&) {
      held_result.set_result("RuntimeError");
    }
  });
  CHECK(held_result.get() == "RuntimeError");
  CHECK(Probe::waiters(lock) == 0);
  lock.release();
  CHECK_FALSE(lock.locked());
}

COREIO_TEST_CASE("tasks and plain OS threads exclude each other") {
  coreio::Lock lock;
  int counter = 0; // deliberately not atomic: the lock protects it
  std::atomic<int> inside{0};
  std::atomic<bool> overlap{false};
  auto critical = [&] {
    if (inside.fetch_add(1) != 0) overlap = true;
    const int seen = counter;
    std::this_thread::yield();
    counter = seen + 1;
    inside.fetch_sub(1);
  };
  std::vector<std::unique_ptr<synctest::Thread>> threads;
  for (int t = 0; t < 2; ++t) {
    threads.push_back(std::make_unique<synctest::Thread>([&] {
      for (int i = 0; i < 200; ++i) {
        std::lock_guard g(lock);
        critical();
      }
    }));
  }
  std::vector<coreio::Task<>> tasks;
  for (int t = 0; t < 4; ++t) {
    tasks.push_back(coreio::create_task([&] {
      for (int i = 0; i < 200; ++i) {
        std::lock_guard g(lock);
        critical();
        if (i % 16 == 0) coreio::yield_now();
      }
    }));
  }
  for (auto& t : tasks) t.get();
  for (auto& th : threads) th->join();
  CHECK_FALSE(overlap.load());
  CHECK(counter == 1200);
}

COREIO_TEST_CASE("lock-protected counter (seed): five workers each add one under the lock") {
  // Seed 001 section 4.1 (asyncio.Lock): workers read the counter, sleep with
  // the lock held, write it back; the output and the final value are fixed.
  on_one_loop([] {
    coreio::Lock lock;
    int shared_resource = 0;
    synctest::Output out;
    auto worker = [&](int id) {
      out.print("Worker " + std::to_string(id) + " trying to acquire the lock");
      std::lock_guard guard(lock);
      out.print("Worker " + std::to_string(id) + " acquired the lock");
      const int current = shared_resource;
      coreio::sleep(2ms);
      shared_resource = current + 1;
      out.print("Worker " + std::to_string(id) + " releasing the lock, shared_resource = " +
                std::to_string(shared_resource));
    };
    std::vector<coreio::Task<>> workers;
    for (int i = 0; i < 5; ++i) workers.push_back(spawn_here([&, i] { worker(i); }));
    for (auto& w : workers) w.get();
    out.print("final shared_resource = " + std::to_string(shared_resource));
    const std::vector<std::string> expected = {
        "Worker 0 trying to acquire the lock",
        "Worker 0 acquired the lock",
        "Worker 1 trying to acquire the lock",
        "Worker 2 trying to acquire the lock",
        "Worker 3 trying to acquire the lock",
        "Worker 4 trying to acquire the lock",
        "Worker 0 releasing the lock, shared_resource = 1",
        "Worker 1 acquired the lock",
        "Worker 1 releasing the lock, shared_resource = 2",
        "Worker 2 acquired the lock",
        "Worker 2 releasing the lock, shared_resource = 3",
        "Worker 3 acquired the lock",
        "Worker 3 releasing the lock, shared_resource = 4",
        "Worker 4 acquired the lock",
        "Worker 4 releasing the lock, shared_resource = 5",
        "final shared_resource = 5",
    };
    CHECK(out.lines() == expected);
  });
}

COREIO_TEST_CASE("lock-protected counter across loops (seed): the final value is exact") {
  coreio::Lock lock;
  int shared_resource = 0;
  std::vector<coreio::Task<>> workers;
  for (int i = 0; i < 16; ++i) {
    workers.push_back(coreio::create_task([&] {
      for (int k = 0; k < 20; ++k) {
        std::lock_guard guard(lock);
        const int current = shared_resource;
        coreio::yield_now(); // suspend with the lock held
        shared_resource = current + 1;
      }
    }));
  }
  for (auto& w : workers) w.get();
  CHECK(shared_resource == 320);
}

} // TEST_SUITE
