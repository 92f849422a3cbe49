#include "coreio/sync/event.hpp"

#include <atomic>
#include <chrono>
#include <memory>
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

TEST_SUITE("Event") {

COREIO_TEST_CASE("a new event is clear; set, is_set and clear change the flag") {
  coreio::Event ev;
  CHECK_FALSE(ev.is_set());
  ev.set();
  CHECK(ev.is_set());
  ev.set(); // idempotent
  CHECK(ev.is_set());
  ev.clear();
  CHECK_FALSE(ev.is_set());
}

COREIO_TEST_CASE("wait on a set event returns true at once") {
  coreio::Event ev;
  ev.set();
  CHECK(ev.wait());
  CHECK(Probe::waiters(ev) == 0);
}

COREIO_TEST_CASE("set releases every waiter: tasks on any loop and plain OS threads") {
  coreio::Event ev;
  std::atomic<int> released{0};
  std::vector<coreio::Task<bool>> tasks;
  for (int i = 0; i < 6; ++i) {
    tasks.push_back(coreio::create_task([&] {
      const bool r = ev.wait();
      released.fetch_add(1);
      return r;
    }));
  }
  synctest::Thread th([&] {
    ev.wait();
    released.fetch_add(1);
  });
  eventually([&] { return Probe::waiters(ev) == 7; });
  CHECK(released.load() == 0);
  ev.set();
  for (auto& t : tasks) CHECK(t.get());
  th.join();
  CHECK(released.load() == 7);
  CHECK(Probe::waiters(ev) == 0);
}

COREIO_TEST_CASE("set followed by clear before the waiters run still releases them (test_clear_with_waiters)") {
  on_one_loop([] {
    coreio::Event ev;
    std::vector<coreio::Task<bool>> tasks;
    for (int i = 0; i < 3; ++i) tasks.push_back(spawn_here([&] { return ev.wait(); }));
    eventually([&] { return Probe::waiters(ev) == 3; });
    ev.set();
    ev.clear(); // the waiters have not run yet
    CHECK_FALSE(ev.is_set());
    for (auto& t : tasks) CHECK(t.get());
    // A new wait blocks again.
    auto late = spawn_here([&] { return ev.wait(); });
    eventually([&] { return Probe::waiters(ev) == 1; });
    CHECK_FALSE(late.done());
    ev.set();
    CHECK(late.get());
  });
}

COREIO_TEST_CASE("a cancelled waiter raises CancelledError and the others are still released") {
  coreio::Event ev;
  auto a = coreio::create_task([&] { return ev.wait(); });
  auto b = coreio::create_task([&] { return ev.wait(); });
  eventually([&] { return Probe::waiters(ev) == 2; });
  a.cancel();
  CHECK_THROWS_AS(a.get(), coreio::CancelledError);
  CHECK(Probe::waiters(ev) == 1);
  ev.set();
  CHECK(b.get());
}

COREIO_TEST_CASE("a waiter released by set and cancelled before it runs raises CancelledError") {
  on_one_loop([] {
    coreio::Event ev;
    auto a = spawn_here([&] { return ev.wait(); });
    auto b = spawn_here([&] { return ev.wait(); });
    eventually([&] { return Probe::waiters(ev) == 2; });
    ev.set();
    a.cancel(); // same step: a was fired but has not run
    CHECK_THROWS_AS(a.get(), coreio::CancelledError);
    CHECK(b.get());
  });
}

COREIO_TEST_CASE("wait in a loop callback raises RuntimeError on a clear event and returns on a set one") {
  coreio::Event ev;
  auto& loop = coreio::get_running_loop();
  auto result = loop.create_future<std::string>();
  loop.call_soon([&] {
    try {
      ev.wait();
      result.set_result("returned");
    } catch (const coreio::RuntimeError&) {
      result.set_result("RuntimeError");
    }
  });
  CHECK(result.get() == "RuntimeError");
  CHECK(Probe::waiters(ev) == 0);
  ev.set();
  auto again = loop.create_future<bool>();
  loop.call_soon([&] { again.set_result(ev.wait()); });
  CHECK(again.get());
}

COREIO_TEST_CASE("a plain OS thread sets the event a task waits for") {
  coreio::Event ev;
  int data = 0;
  synctest::Thread th([&] {
    std::this_thread::sleep_for(2ms);
    data = 42; // published by set(), read after wait()
    ev.set();
  });
  CHECK(ev.wait());
  CHECK(data == 42);
  th.join();
}

COREIO_TEST_CASE("Event start signal (seed): runners wait for the start signal") {
  // Seed 003 section 5.1.2: two runners get ready, a call_later callback
  // fires the start signal, then they run for 2 and 3 time units.
  on_one_loop([] {
    coreio::Event start_signal;
    synctest::Output out;
    auto runner = [&](int n, std::chrono::milliseconds run_for) {
      out.print("runner " + std::to_string(n) + ": I'm ready");
      start_signal.wait();
      out.print("runner " + std::to_string(n) + ": running");
      coreio::sleep(run_for);
      out.print("runner " + std::to_string(n) + " arrived");
    };
    coreio::get_running_loop().call_later(2ms, [&] {
      out.print("start!");
      start_signal.set();
    });
    auto one = spawn_here([&] { runner(1, 20ms); });
    auto two = spawn_here([&] { runner(2, 30ms); });
    one.get();
    two.get();
    const std::vector<std::string> expected = {
        "runner 1: I'm ready", "runner 2: I'm ready", "start!",          "runner 1: running",
        "runner 2: running",   "runner 1 arrived",    "runner 2 arrived",
    };
    CHECK(out.lines() == expected);
  });
}

} // TEST_SUITE
