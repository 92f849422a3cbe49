#include "coreio/sync/notify.hpp"

#include <atomic>
#include <string>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "sync_test_support.hpp"

using synctest::eventually;
using synctest::on_one_loop;
using synctest::Probe;
using synctest::spawn_here;

TEST_SUITE("Notify") {
  COREIO_TEST_CASE("notify_one with nobody waiting stores one permit that the next notified consumes at once") {
    coreio::Notify n;
    CHECK_FALSE(n.try_notified());
    n.notify_one();
    n.notify_one(); // still one permit
    n.notified(); // consumes it without waiting
    CHECK_FALSE(n.try_notified());
    n.notify_one();
    CHECK(n.try_notified());
    CHECK_FALSE(n.try_notified());
  }

  COREIO_TEST_CASE("notify_one wakes one waiter at a time in the order they waited") {
    coreio::Notify n;
    std::vector<coreio::Task<>> waiters;
    for (int i = 0; i < 3; ++i) {
      waiters.push_back(coreio::create_task([&] { n.notified(); }));
      eventually([&] { return Probe::waiters(n) == static_cast<std::size_t>(i + 1); });
    }
    for (std::size_t i = 0; i < 3; ++i) {
      n.notify_one();
      waiters[i].get();
      CHECK(Probe::waiters(n) == 2 - i);
      for (std::size_t j = i + 1; j < 3; ++j) CHECK_FALSE(waiters[j].done());
    }
    CHECK_FALSE(n.try_notified()); // every notification went to a waiter
  }

  COREIO_TEST_CASE("notify_waiters wakes every current waiter, tasks and threads, and stores no permit") {
    coreio::Notify n;
    auto a = coreio::create_task([&] { n.notified(); });
    auto b = coreio::create_task([&] { n.notified(); });
    synctest::Thread th([&] { n.notified(); });
    eventually([&] { return Probe::waiters(n) == 3; });
    n.notify_waiters();
    a.get();
    b.get();
    th.join();
    CHECK_FALSE(n.try_notified());
    n.notify_waiters(); // nobody waits: nothing happens, nothing is stored
    CHECK_FALSE(n.try_notified());
  }

  COREIO_TEST_CASE(
      "a waiter chosen by notify_one and cancelled before it runs passes the notification to the next waiter") {
    on_one_loop([] {
      coreio::Notify n;
      auto first = spawn_here([&] { n.notified(); });
      auto second = spawn_here([&] { n.notified(); });
      eventually([&] { return Probe::waiters(n) == 2; });
      n.notify_one(); // chooses `first`, which has not run yet
      first.cancel();
      CHECK_THROWS_AS(first.get(), coreio::CancelledError);
      second.get(); // got the notification `first` passed on
      CHECK_FALSE(n.try_notified());
    });
  }

  COREIO_TEST_CASE("a waiter chosen by notify_one and cancelled with nobody behind it stores the permit") {
    on_one_loop([] {
      coreio::Notify n;
      auto only = spawn_here([&] { n.notified(); });
      eventually([&] { return Probe::waiters(n) == 1; });
      n.notify_one();
      only.cancel();
      CHECK_THROWS_AS(only.get(), coreio::CancelledError);
      CHECK(n.try_notified());
    });
  }

  COREIO_TEST_CASE("a waiter woken by notify_waiters and then cancelled passes nothing on") {
    on_one_loop([] {
      coreio::Notify n;
      auto a = spawn_here([&] { n.notified(); });
      eventually([&] { return Probe::waiters(n) == 1; });
      n.notify_waiters();
      a.cancel();
      CHECK_THROWS_AS(a.get(), coreio::CancelledError);
      CHECK_FALSE(n.try_notified());
    });
  }

  COREIO_TEST_CASE(
      "a waiter cancelled before any notification leaves the list and the next notify_one stores a permit") {
    coreio::Notify n;
    auto a = coreio::create_task([&] { n.notified(); });
    eventually([&] { return Probe::waiters(n) == 1; });
    a.cancel();
    CHECK_THROWS_AS(a.get(), coreio::CancelledError);
    CHECK(Probe::waiters(n) == 0);
    n.notify_one();
    CHECK(n.try_notified());
  }

  COREIO_TEST_CASE("notify_one from a plain OS thread wakes a task and a loop callback may notify") {
    coreio::Notify n;
    auto waiter = coreio::create_task([&] {
      n.notified();
      n.notified();
    });
    eventually([&] { return Probe::waiters(n) == 1; });
    synctest::Thread th([&] { n.notify_one(); });
    th.join();
    eventually([&] { return Probe::waiters(n) == 1 || waiter.done(); });
    coreio::get_running_loop().call_soon([&] { n.notify_one(); });
    waiter.get();
  }

  COREIO_TEST_CASE("notified in a loop callback raises RuntimeError when it would wait") {
    coreio::Notify n;
    auto& loop = coreio::get_running_loop();
    auto result = loop.create_future<std::string>();
    loop.call_soon([&] {
      try {
        n.notified();
        result.set_result("returned");
      } catch (const coreio::RuntimeError&) {
        result.set_result("RuntimeError");
      }
    });
    CHECK(result.get() == "RuntimeError");
    CHECK(Probe::waiters(n) == 0);
  }

} // TEST_SUITE
