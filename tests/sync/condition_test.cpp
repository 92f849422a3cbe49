#include "coreio/sync/condition.hpp"

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

TEST_SUITE("Condition") {

COREIO_TEST_CASE("wait, notify and notify_all without the lock raise RuntimeError") {
  coreio::Condition cond;
  CHECK_THROWS_WITH_AS(cond.wait(), "cannot wait on un-acquired lock", coreio::RuntimeError);
  CHECK_THROWS_WITH_AS(cond.notify(), "cannot notify on un-acquired lock", coreio::RuntimeError);
  CHECK_THROWS_AS(cond.notify_all(), coreio::RuntimeError);
  CHECK(Probe::waiters(cond) == 0);
  // Still usable afterwards.
  cond.acquire();
  cond.notify_all();
  cond.release();
}

COREIO_TEST_CASE("the lock interface forwards to the lock, own or shared") {
  coreio::Condition own;
  CHECK_FALSE(own.locked());
  CHECK(own.acquire());
  CHECK(own.locked());
  CHECK_FALSE(own.try_lock());
  own.release();
  CHECK_THROWS_AS(own.release(), coreio::RuntimeError);

  coreio::Lock shared;
  coreio::Condition a(shared);
  coreio::Condition b(shared);
  a.acquire();
  CHECK(shared.locked());
  CHECK(b.locked());
  b.release();
  CHECK_FALSE(a.locked());
}

COREIO_TEST_CASE("wait releases the lock and re-acquires it before returning") {
  coreio::Condition cond;
  bool ready = false;
  auto waiter = coreio::create_task([&] {
    std::unique_lock guard(cond);
    const bool r = cond.wait();
    CHECK(cond.locked());
    CHECK(ready);
    return r;
  });
  eventually([&] { return Probe::waiters(cond) == 1; });
  {
    std::lock_guard guard(cond); // the waiter released it
    ready = true;
    cond.notify();
    coreio::yield_now(); // the waiter cannot return while we hold the lock
    CHECK_FALSE(waiter.done());
  }
  CHECK(waiter.get());
  CHECK_FALSE(cond.locked());
}

COREIO_TEST_CASE("notify(n) wakes n waiters in FIFO order and notify_all the rest") {
  on_one_loop([] {
    coreio::Condition cond;
    std::vector<int> woken;
    std::vector<coreio::Task<>> tasks;
    for (int i = 0; i < 6; ++i) {
      tasks.push_back(spawn_here([&, i] {
        std::lock_guard guard(cond);
        cond.wait();
        woken.push_back(i);
      }));
    }
    eventually([&] { return Probe::waiters(cond) == 6; });
    cond.acquire();
    cond.notify(2);
    cond.release();
    eventually([&] { return woken.size() == 2; });
    CHECK(woken == std::vector<int>{0, 1});
    cond.acquire();
    cond.notify(0);
    cond.notify(1);
    cond.release();
    eventually([&] { return woken.size() == 3; });
    cond.acquire();
    cond.notify_all();
    cond.release();
    for (auto& t : tasks) t.get();
    CHECK(woken == std::vector<int>{0, 1, 2, 3, 4, 5});
  });
}

COREIO_TEST_CASE("notify with more than the waiting count wakes only those waiting") {
  coreio::Condition cond;
  auto t = coreio::create_task([&] {
    std::lock_guard guard(cond);
    cond.wait();
  });
  eventually([&] { return Probe::waiters(cond) == 1; });
  {
    std::lock_guard guard(cond);
    cond.notify(5);
  }
  t.get();
  CHECK(Probe::waiters(cond) == 0);
}

COREIO_TEST_CASE("wait_for returns the predicate's value once it holds") {
  coreio::Condition cond;
  int value = 0;
  auto waiter = coreio::create_task([&] {
    std::lock_guard guard(cond);
    return cond.wait_for([&] { return value >= 3 ? value : 0; });
  });
  for (int i = 1; i <= 3; ++i) {
    eventually([&] { return Probe::waiters(cond) == 1; });
    std::lock_guard guard(cond);
    value = i;
    cond.notify_all();
  }
  CHECK(waiter.get() == 3);
  // A predicate already true returns without waiting.
  std::lock_guard guard(cond);
  CHECK(cond.wait_for([] { return true; }));
}

COREIO_TEST_CASE("a cancelled wait re-acquires the lock before raising CancelledError") {
  on_one_loop([] {
    coreio::Condition cond;
    std::vector<std::string> log;
    auto waiter = spawn_here([&] {
      cond.acquire();
      try {
        cond.wait();
      } catch (const coreio::CancelledError&) {
        log.push_back(cond.locked() ? "cancelled with the lock" : "cancelled without the lock");
        cond.release();
        throw;
      }
    });
    eventually([&] { return Probe::waiters(cond) == 1; });
    cond.acquire(); // hold the lock while the waiter is cancelled
    waiter.cancel();
    coreio::yield_now();
    coreio::yield_now();
    CHECK_FALSE(waiter.done()); // it waits for the lock
    log.push_back("main releases");
    cond.release();
    CHECK_THROWS_AS(waiter.get(), coreio::CancelledError);
    CHECK(log == std::vector<std::string>{"main releases", "cancelled with the lock"});
    CHECK_FALSE(cond.locked());
  });
}

COREIO_TEST_CASE("a notified waiter that is cancelled passes the notification on (gh-112202)") {
  on_one_loop([] {
    coreio::Condition cond;
    auto w1 = spawn_here([&] {
      std::lock_guard guard(cond);
      cond.wait();
    });
    auto w2 = spawn_here([&] {
      std::lock_guard guard(cond);
      cond.wait();
      return 2;
    });
    eventually([&] { return Probe::waiters(cond) == 2; });
    cond.acquire();
    cond.notify(1); // w1 is notified...
    w1.cancel();    // ...and cancelled before it runs
    cond.release();
    CHECK_THROWS_AS(w1.get(), coreio::CancelledError);
    CHECK(w2.get() == 2); // the notification reached w2
  });
}

COREIO_TEST_CASE("cancelling the re-acquisition keeps re-acquiring and raises the latest CancelledError (gh-111693)") {
  on_one_loop([] {
    coreio::Condition cond;
    auto waiter = spawn_here([&]() -> std::string {
      std::unique_lock guard(cond);
      try {
        cond.wait();
      } catch (const coreio::CancelledError& e) {
        CHECK(cond.locked());
        return "cancelled: " + e.message();
      }
      return "returned";
    });
    auto bystander = spawn_here([&] {
      std::lock_guard guard(cond);
      cond.wait();
      return 7;
    });
    eventually([&] { return Probe::waiters(cond) == 2; });
    cond.acquire();
    cond.notify(1); // the waiter is notified, then must wait for our lock
    cond.release();
    cond.acquire(); // overtakes nobody: the waiter has not queued on the lock yet
    coreio::yield_now(); // the waiter runs and now waits for the lock
    waiter.cancel("first");
    coreio::yield_now();
    waiter.cancel("second");
    coreio::yield_now();
    CHECK_FALSE(waiter.done());
    cond.release();
    CHECK(waiter.get() == "cancelled: second");
    // It raised after being notified, so it passed the notification on.
    CHECK(bystander.get() == 7);
  });
}

COREIO_TEST_CASE("a plain OS thread waits on a condition notified by a task") {
  coreio::Condition cond;
  bool ready = false;
  std::atomic<bool> done{false};
  synctest::Thread th([&] {
    std::lock_guard guard(cond);
    cond.wait_for([&] { return ready; });
    done = true;
  });
  eventually([&] { return Probe::waiters(cond) == 1; });
  {
    std::lock_guard guard(cond);
    ready = true;
    cond.notify_all();
  }
  th.join();
  CHECK(done.load());
}

COREIO_TEST_CASE("notify(i) wakes the tasks in turn (seed)") {
  // Seed 003 section 5.1.3: five tasks wait; one, then two, then the rest
  // are notified.
  on_one_loop([] {
    coreio::Condition cond;
    synctest::Output out;
    auto task_should_wait = [&](int n) {
      std::lock_guard guard(cond);
      out.print("Task-" + std::to_string(n) + " is waiting");
      cond.wait();
      out.print("Task-" + std::to_string(n) + " received the notice");
    };
    std::vector<coreio::Task<>> tasks;
    for (int i = 0; i < 5; ++i) tasks.push_back(spawn_here([&, i] { task_should_wait(i); }));
    auto notifier = spawn_here([&] {
      coreio::sleep(2ms);
      for (int i = 1; i < 3; ++i) {
        std::lock_guard guard(cond);
        out.print(std::to_string(i) + " tasks will be notified");
        coreio::sleep(1ms);
        cond.notify(static_cast<std::size_t>(i));
      }
      std::lock_guard guard(cond);
      out.print("Remaining tasks will be notified");
      cond.notify_all();
    });
    notifier.get();
    for (auto& t : tasks) t.get();
    const std::vector<std::string> expected = {
        "Task-0 is waiting",
        "Task-1 is waiting",
        "Task-2 is waiting",
        "Task-3 is waiting",
        "Task-4 is waiting",
        // The notifier takes the lock again before Task-0, which was
        // notified but not yet queued on the lock (asyncio prints the same).
        "1 tasks will be notified",
        "2 tasks will be notified",
        "Task-0 received the notice",
        "Remaining tasks will be notified",
        "Task-1 received the notice",
        "Task-2 received the notice",
        "Task-3 received the notice",
        "Task-4 received the notice",
    };
    CHECK(out.lines() == expected);
  });
}

COREIO_TEST_CASE("Condition invitations (seed): friends are invited once the pair is complete") {
  // Seed 003 section 5.1.3: four friends wait for an invitation that is sent
  // when two singles have paired up; once with wait(), once with wait_for().
  for (const bool use_wait_for : {false, true}) {
    on_one_loop([use_wait_for] {
      coreio::Condition cond;
      std::vector<std::string> pair;
      synctest::Output out;
      auto check = [&](const std::string& someone) {
        coreio::sleep(2ms); // let the invitees wait first
        if (someone.starts_with("single")) {
          std::lock_guard guard(cond);
          pair.push_back(someone);
          if (use_wait_for || pair.size() == 2) cond.notify_all();
        }
      };
      auto invite = [&](const std::string& someone) {
        out.print(someone + " waiting for the invitation.");
        std::lock_guard guard(cond);
        if (use_wait_for) {
          if (cond.wait_for([&] { return pair.size() == 2; })) out.print(someone + " received the invitation.");
        } else {
          cond.wait();
          out.print(someone + " received the invitation.");
        }
      };
      std::vector<coreio::Task<>> tasks;
      for (const char* lover : {"single_Zhang", "single_Wang"})
        tasks.push_back(spawn_here([&, s = std::string(lover)] { check(s); }));
      for (const char* friend_name : {"Li", "Zhao", "Sun", "Qian"})
        tasks.push_back(spawn_here([&, s = std::string(friend_name)] { invite(s); }));
      for (auto& t : tasks) t.get();
      const std::vector<std::string> expected = {
          "Li waiting for the invitation.",   "Zhao waiting for the invitation.",
          "Sun waiting for the invitation.",  "Qian waiting for the invitation.",
          "Li received the invitation.",      "Zhao received the invitation.",
          "Sun received the invitation.",     "Qian received the invitation.",
      };
      CHECK(out.lines() == expected);
      CHECK(pair.size() == 2);
    });
  }
}

} // TEST_SUITE
