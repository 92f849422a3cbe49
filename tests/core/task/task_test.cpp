#include "coreio/task.hpp" // self-contained header first

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

using namespace std::chrono_literals;
using coreio::CancelledError;

TEST_SUITE("Task") {

COREIO_TEST_CASE("a task returns its value and get() waits for it") {
  auto t = coreio::create_task([] {
    coreio::sleep(5ms);
    return std::string("done");
  });
  CHECK_FALSE(t.done());
  CHECK(t.get() == "done");
  CHECK(t.done());
  CHECK(t.result() == "done");
}

COREIO_TEST_CASE("Task<void> completes and result() does not throw") {
  std::atomic<int> ran{0};
  auto t = coreio::create_task([&] { ran.fetch_add(1); });
  t.get();
  CHECK(ran.load() == 1);
  CHECK_NOTHROW(t.result());
}

COREIO_TEST_CASE("an exception in the body is rethrown by get() and kept by exception()") {
  auto t = coreio::create_task([]() -> int { throw std::runtime_error("boom"); });
  CHECK_THROWS_WITH_AS(t.get(), "boom", std::runtime_error);
  REQUIRE(t.exception());
  CHECK_THROWS_AS(std::rethrow_exception(t.exception()), std::runtime_error);
}

COREIO_TEST_CASE("result() on a pending task raises InvalidStateError") {
  auto t = coreio::create_task([] { coreio::sleep(20ms); });
  CHECK_THROWS_AS(t.result(), coreio::InvalidStateError);
  CHECK_THROWS_AS((void)t.exception(), coreio::InvalidStateError);
  t.get();
}

COREIO_TEST_CASE("cancel() reaches a sleeping task as CancelledError with the message") {
  std::atomic<bool> cleaned{false};
  auto t = coreio::create_task([&] {
    try {
      coreio::sleep(10s);
    } catch (const CancelledError& e) {
      cleaned = std::string(e.what()) == "stop now";
      throw;
    }
  });
  coreio::sleep(5ms);
  CHECK(t.cancel("stop now"));
  CHECK_THROWS_AS(t.get(), CancelledError);
  CHECK(t.cancelled());
  CHECK(cleaned.load());
  CHECK_FALSE(t.cancel()); // done: cancel returns false
}

COREIO_TEST_CASE("CancelledError is not a std::exception") {
  auto t = coreio::create_task([] {
    try {
      coreio::sleep(10s);
    } catch (const std::exception&) {
      FAIL("catch (std::exception&) swallowed cancellation");
    }
  });
  coreio::yield_now();
  t.cancel();
  CHECK_THROWS_AS(t.get(), CancelledError);
}

COREIO_TEST_CASE("a task cancelled before it runs never starts its body") {
  std::atomic<bool> started{false};
  // Pinned to this loop, which this task holds until t.get(): an unpinned
  // task could be stolen and started by an idle loop before the cancel.
  auto t = coreio::get_running_loop().create_task([&] { started = true; });
  CHECK(t.cancel());
  CHECK_THROWS_AS(t.get(), CancelledError);
  CHECK_FALSE(started.load());
}

COREIO_TEST_CASE("a task that swallows CancelledError completes normally") {
  auto t = coreio::create_task([] {
    try {
      coreio::sleep(10s);
    } catch (const CancelledError&) {
      return 7;
    }
    return 0;
  });
  coreio::yield_now();
  t.cancel();
  CHECK(t.get() == 7);
  CHECK_FALSE(t.cancelled());
  CHECK(t.cancelling() == 1);
  CHECK(t.uncancel() == 0);
}

COREIO_TEST_CASE("cancelling a task cancels the task it awaits (asyncio's _fut_waiter)") {
  auto inner = coreio::create_task([] { coreio::sleep(10s); });
  auto outer = coreio::create_task([&] { inner.get(); });
  coreio::sleep(5ms);
  outer.cancel();
  CHECK_THROWS_AS(outer.get(), CancelledError);
  CHECK_THROWS_AS(inner.get(), CancelledError);
  CHECK(inner.cancelled());
}

COREIO_TEST_CASE("a self-cancel is delivered at the next suspension point") {
  std::atomic<int> stage{0};
  auto t = coreio::create_task([&] {
    coreio::current_task().cancel();
    stage = 1; // still running: cancellation waits for a suspension point
    coreio::yield_now();
    stage = 2;
  });
  CHECK_THROWS_AS(t.get(), CancelledError);
  CHECK(stage.load() == 1);
}

COREIO_TEST_CASE("a cancel after the last suspension point still ends the task cancelled (asyncio's test_cancel_at_end)") {
  auto t = coreio::create_task([] {
    coreio::current_task().cancel("at the end");
    return 12; // dropped: the task ends cancelled
  });
  try {
    (void)t.get();
    FAIL("no CancelledError");
  } catch (const CancelledError& e) {
    CHECK(std::string(e.what()) == "at the end");
  }
  CHECK(t.done());
  CHECK(t.cancelled());

  // uncancel() before the end takes the request back: the value stands.
  auto u = coreio::create_task([] {
    coreio::current_task().cancel();
    coreio::current_task().uncancel();
    return 7;
  });
  CHECK(u.get() == 7);
  CHECK_FALSE(u.cancelled());
}

COREIO_TEST_CASE("names: default Task-<n>, custom via options and set_name") {
  auto a = coreio::create_task([] {});
  auto b = coreio::create_task([] {}, {.name = "worker"});
  CHECK(a.get_name().rfind("Task-", 0) == 0);
  CHECK(b.get_name() == "worker");
  b.set_name("renamed");
  CHECK(b.get_name() == "renamed");
  a.get();
  b.get();
  CHECK(coreio::current_task().get_name() == "main");
}

COREIO_TEST_CASE("current_task() is the running task and empty outside tasks") {
  auto t = coreio::create_task([] { return coreio::current_task().get_name(); }, {.name = "me"});
  CHECK(t.get() == "me");
  std::thread th([] { CHECK_FALSE(coreio::current_task()); });
  th.join();
}

COREIO_TEST_CASE("all_tasks() lists the pending tasks") {
  auto t = coreio::create_task([] { coreio::sleep(10s); }, {.name = "sleeper"});
  coreio::yield_now();
  bool seen = false;
  for (auto& h : coreio::all_tasks()) seen |= h.get_name() == "sleeper";
  CHECK(seen);
  t.cancel();
  CHECK_THROWS_AS(t.get(), CancelledError);
  for (auto& h : coreio::all_tasks()) CHECK(h.get_name() != "sleeper");
}

COREIO_TEST_CASE("an eager task runs up to its first suspension before create_task returns") {
  std::vector<int> order;
  auto t = coreio::create_task(
      [&] {
        order.push_back(1);
        coreio::yield_now();
        order.push_back(3);
      },
      // Pinned: once it has suspended, an unpinned child may be stolen and run
      // alongside us; only "1 before 2" is the eager guarantee itself.
      {.eager = true, .pinned = true});
  order.push_back(2);
  t.get();
  CHECK(order == std::vector<int>{1, 2, 3});
}

COREIO_TEST_CASE("done callbacks run on the loop after completion with the task") {
  std::atomic<int> got{0};
  auto t = coreio::create_task([] { return 41; });
  t.add_done_callback([&](coreio::Future<int>& f) { got = f.result() + 1; });
  t.get();
  for (int i = 0; i < 100 && got.load() == 0; ++i) coreio::sleep(1ms);
  CHECK(got.load() == 42);
}

COREIO_TEST_CASE("remove_done_callback prevents the call") {
  std::atomic<int> calls{0};
  auto t = coreio::create_task([] { coreio::sleep(5ms); });
  auto id = t.add_done_callback([&](coreio::Future<>&) { calls++; });
  CHECK(t.remove_done_callback(id) == 1);
  t.get();
  coreio::sleep(5ms);
  CHECK(calls.load() == 0);
}

COREIO_TEST_CASE("set_result on a task is not available and a Task is a Future") {
  auto t = coreio::create_task([] { return 1; });
  coreio::Future<int>& f = t;
  CHECK(f.get() == 1);
}

COREIO_TEST_CASE("a pinned task never leaves its loop") {
  auto t = coreio::create_task(
      [] {
        coreio::Loop* start = &coreio::get_running_loop();
        for (int i = 0; i < 200; ++i) {
          if (&coreio::get_running_loop() != start) return false;
          coreio::yield_now();
        }
        return true;
      },
      {.pinned = true});
  // Keep the other loop hungry for work.
  std::vector<coreio::Task<>> noise;
  for (int i = 0; i < 50; ++i) noise.push_back(coreio::create_task([] { coreio::yield_now(); }));
  CHECK(t.get());
  for (auto& n : noise) n.get();
}

COREIO_TEST_CASE("run_on runs on the given loop and returns its value") {
  auto& rt = coreio::get_running_loop().runtime();
  for (std::size_t i = 0; i < rt.num_loops(); ++i) {
    auto idx = coreio::run_on(rt.loop(i), [] { return coreio::get_running_loop().index(); });
    CHECK(idx == i);
  }
}

COREIO_TEST_CASE("sleep waits at least its delay") {
  const auto t0 = std::chrono::steady_clock::now();
  coreio::sleep(30ms);
  CHECK(std::chrono::steady_clock::now() - t0 >= 30ms);
}

COREIO_TEST_CASE("concurrent sleeps overlap instead of adding up") {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<coreio::Task<>> ts;
  for (int i = 0; i < 20; ++i) ts.push_back(coreio::create_task([] { coreio::sleep(100ms); }));
  for (auto& t : ts) t.get();
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= 100ms);
  CHECK(took < 1500ms); // generous: 20 sequential sleeps would take 2 s
}

COREIO_TEST_CASE("a task's captures are destroyed when its body ends") {
  auto token = std::make_shared<int>(5);
  std::weak_ptr<int> weak = token;
  auto t = coreio::create_task([p = std::move(token)] { return *p; });
  CHECK(t.get() == 5);
  CHECK(weak.expired());
}

COREIO_TEST_CASE("waiting inside a loop callback is a RuntimeError, not a deadlock") {
  auto f = coreio::get_running_loop().create_future<bool>();
  coreio::get_running_loop().call_soon([f]() mutable {
    try {
      coreio::sleep(1ms);
      f.set_result(false);
    } catch (const coreio::RuntimeError&) {
      f.set_result(true);
    }
  });
  CHECK(f.get());
}

} // TEST_SUITE
