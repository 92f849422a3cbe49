#include "coreio/wait_for.hpp" // self-contained header first

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;
using coreio::CancelledError;
using coreio::TimeoutError;

using coreio::testing::on_loop;
using coreio::testing::until;
using coreio::testing::caused_by_cancel;

TEST_SUITE("wait_for") {

COREIO_TEST_CASE("returns the task's value when it finishes in time") {
  auto t = coreio::create_task([] { coreio::sleep(1ms); return 5; }, on_loop(1));
  CHECK(coreio::wait_for(t, 5s) == 5);
  CHECK(coreio::wait_for([] { return std::string("x"); }, 5s) == "x");
  coreio::wait_for([] { coreio::sleep(1ms); }, 5s);
}

COREIO_TEST_CASE("no timeout is a plain await") {
  CHECK(coreio::wait_for([] { coreio::sleep(1ms); return 1; }, std::nullopt) == 1);
  auto t = coreio::create_task([] { return 2; }, on_loop(1));
  CHECK(coreio::wait_for(t, std::nullopt) == 2);
}

COREIO_TEST_CASE("on timeout the inner task on another loop is cancelled and finished before TimeoutError") {
  std::atomic<bool> running{false};
  auto t = coreio::create_task(
      [&] {
        running = true;
        try {
          coreio::sleep(10s);
        } catch (const CancelledError&) {
          coreio::sleep(2ms); // winding down takes a while
          running = false;
          throw;
        }
        return 1;
      },
      on_loop(1));
  try {
    (void)coreio::wait_for(t, 3ms);
    FAIL("no TimeoutError");
  } catch (const TimeoutError& e) {
    CHECK(caused_by_cancel(e));
  }
  CHECK(t.done());
  CHECK(t.cancelled());
  CHECK_FALSE(running.load());
  CHECK(coreio::current_task().cancelling() == 0);
}

COREIO_TEST_CASE("a zero or negative timeout returns a done future's result at once") {
  coreio::Future<std::string> f;
  f.set_result("done");
  CHECK(coreio::wait_for(f, 0ms) == "done");
  CHECK(coreio::wait_for(f, -1s) == "done");
}

COREIO_TEST_CASE("a zero timeout never starts a callable") {
  bool started = false;
  try {
    coreio::wait_for([&] { started = true; }, 0ms);
    FAIL("no TimeoutError");
  } catch (const TimeoutError& e) {
    CHECK(caused_by_cancel(e));
  }
  CHECK_FALSE(started);
}

COREIO_TEST_CASE("a zero or negative timeout cancels a running task and waits for it") {
  for (auto d : {0ms, -1000ms}) {
    std::atomic<bool> running{false};
    coreio::Future<void> started;
    auto t = coreio::create_task(
        [&] {
          running = true;
          started.set_result();
          try {
            coreio::sleep(10s);
          } catch (const CancelledError&) {
            coreio::sleep(1ms);
            running = false;
            throw;
          }
          return std::string("done");
        },
        on_loop(1));
    started.get();
    CHECK_THROWS_AS(coreio::wait_for(t, d), TimeoutError);
    CHECK(t.cancelled());
    CHECK_FALSE(running.load());
  }
}

COREIO_TEST_CASE("a value that arrives as the deadline passes is returned, not lost") {
  // asyncio's test_wait_for_race_condition (the value comes first) ...
  coreio::Future<std::string> f;
  auto setter = coreio::create_task([&] {
    coreio::sleep(1ms);
    f.set_result("ok");
  });
  CHECK(coreio::wait_for(f, 200ms) == "ok");
  setter.get();
  // ... and the value and the deadline together: the awaiting task is woken by
  // the value with the timeout's cancellation pending; the value wins.
  for (int i = 0; i < 20; ++i) {
    auto inner = coreio::create_task([i] { std::this_thread::sleep_for(1ms); return i; }, on_loop(1));
    try {
      const int v = coreio::wait_for(inner, 1ms);
      CHECK(v == i);
    } catch (const TimeoutError&) {
      CHECK(inner.cancelled()); // timed out for real: the task never produced its value
    }
  }
  CHECK(coreio::current_task().cancelling() == 0);
}

COREIO_TEST_CASE("a task that swallows the cancellation and returns a value gives that value") {
  std::atomic<bool> started{false};
  auto t = coreio::create_task(
      [&] {
        started = true;
        try {
          coreio::sleep(10s);
        } catch (const CancelledError&) {
          return 42;
        }
        return 0;
      },
      on_loop(1));
  until([&] { return started.load(); });
  CHECK(coreio::wait_for(t, 2ms) == 42);
  CHECK(coreio::wait_for(
            [] {
              try {
                coreio::sleep(10s);
              } catch (const CancelledError&) {
                return 1; // asyncio's test_wait_for_cancellation_race_condition
              }
              return 0;
            },
            2ms) == 1);
}

COREIO_TEST_CASE("an exception raised while the inner task is cancelled propagates instead of TimeoutError") {
  std::atomic<bool> started{false};
  auto t = coreio::create_task(
      [&]() -> int {
        started = true;
        try {
          coreio::sleep(10s);
        } catch (const CancelledError&) {
          throw std::runtime_error("during cancellation");
        }
        return 0;
      },
      on_loop(1));
  until([&] { return started.load(); });
  CHECK_THROWS_WITH_AS(coreio::wait_for(t, 2ms), "during cancellation", std::runtime_error);
}

COREIO_TEST_CASE("cancelling wait_for cancels the inner task and propagates CancelledError") {
  for (std::optional<std::chrono::nanoseconds> d : {std::optional<std::chrono::nanoseconds>{},
                                                     std::optional<std::chrono::nanoseconds>{60s}}) {
    coreio::Future<void> never;
    std::atomic<bool> waiting{false};
    auto inner = coreio::create_task([&] { never.get(); }, on_loop(1));
    auto w = coreio::create_task([&] {
      waiting = true;
      coreio::wait_for(inner, d);
    });
    until([&] { return waiting.load(); });
    w.cancel();
    CHECK_THROWS_AS(w.get(), CancelledError);
    inner.wait();
    CHECK(inner.cancelled()); // Python issue #23219
  }
}

COREIO_TEST_CASE("wait_for itself stays cancellable when the inner task holds up cancellation") {
  // asyncio's test_wait_for_self_cancellation.
  auto inner = coreio::create_task(
      [] {
        try {
          coreio::sleep(30ms);
        } catch (const CancelledError&) {
          try {
            coreio::sleep(30ms);
          } catch (const CancelledError&) {
            coreio::sleep(30ms);
          }
        }
        return 42;
      },
      on_loop(1));
  auto w = coreio::create_task([&] { return coreio::wait_for(inner, 10ms); });
  w.cancel();
  CHECK_THROWS_AS(w.get(), CancelledError);
  CHECK(inner.get() == 42);
}

COREIO_TEST_CASE("an outer cancel together with the timeout still propagates CancelledError") {
  coreio::Future<void> expired;
  std::atomic<bool> started{false};
  auto inner = coreio::create_task(
      [&] {
        started = true;
        try {
          coreio::sleep(10s);
        } catch (const CancelledError&) {
          expired.set_result();
          coreio::sleep(5ms); // still winding down when the outer cancel comes
          throw;
        }
      },
      on_loop(1));
  until([&] { return started.load(); }); // else the deadline could cancel it before it runs
  auto w = coreio::create_task([&] { coreio::wait_for(inner, 1ms); });
  expired.get();
  w.cancel();
  CHECK_THROWS_AS(w.get(), CancelledError);
}

COREIO_TEST_CASE("a move-only result is moved out of a task handed over") {
  auto t = coreio::create_task([] { return std::make_unique<int>(3); });
  auto p = coreio::wait_for(std::move(t), 5s);
  CHECK(*p == 3);
}

COREIO_TEST_CASE("wait_for of a shielded task times out without cancelling the task") {
  coreio::Future<void> gate;
  auto t = coreio::create_task([&] { gate.get(); return 9; }, on_loop(1));
  CHECK_THROWS_AS(coreio::wait_for(coreio::shield(t), 1ms), TimeoutError);
  CHECK_FALSE(t.done());
  gate.set_result();
  CHECK(t.get() == 9);
}

} // TEST_SUITE
