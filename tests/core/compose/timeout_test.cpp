#include "coreio/timeout.hpp" // self-contained header first

#include <atomic>
#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <thread>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;
using coreio::CancelledError;
using coreio::Timeout;
using coreio::TimeoutError;

using coreio::testing::on_loop;
using coreio::testing::until;
using coreio::testing::caused_by_cancel;

TEST_SUITE("timeout") {

COREIO_TEST_CASE("a body that overruns raises TimeoutError caused by CancelledError") {
  try {
    coreio::timeout(5ms, [] { coreio::sleep(10s); });
    FAIL("no TimeoutError");
  } catch (const TimeoutError& e) {
    CHECK(caused_by_cancel(e)); // asyncio: raise TimeoutError from CancelledError
  }
  CHECK(coreio::current_task().cancelling() == 0); // uncancel()ed
}

COREIO_TEST_CASE("timeout returns the body's value when it finishes in time") {
  CHECK(coreio::timeout(5s, [] {
          coreio::sleep(1ms);
          return 7;
        }) == 7);
  coreio::timeout(std::nullopt, [] { coreio::sleep(1ms); });
}

COREIO_TEST_CASE("expired(), when() and timeout_at") {
  const auto deadline = coreio::get_running_loop().time() + 5ms;
  bool expired_inside = true;
  std::optional<Timeout::time_point> when;
  CHECK_THROWS_AS(coreio::timeout_at(deadline,
                                     [&](Timeout& t) {
                                       expired_inside = t.expired();
                                       when = t.when();
                                       coreio::sleep(10s);
                                     }),
                  TimeoutError);
  CHECK_FALSE(expired_inside);
  CHECK(when == deadline);
}

COREIO_TEST_CASE("a timeout that does not fire is not expired and its deadline stays in the future") {
  const auto t0 = coreio::get_running_loop().time();
  coreio::timeout(10s, [&](Timeout& t) {
    coreio::sleep(1ms);
    CHECK_FALSE(t.expired());
    REQUIRE(t.when());
    CHECK(*t.when() > t0);
  });
  coreio::timeout(std::nullopt, [](Timeout& t) { CHECK_FALSE(t.when()); });
}

COREIO_TEST_CASE("the body sees the CancelledError first, then the scope turns it into TimeoutError") {
  bool cancelled = false;
  CHECK_THROWS_AS(coreio::timeout(2ms,
                                  [&] {
                                    try {
                                      coreio::sleep(10s);
                                    } catch (const CancelledError&) {
                                      cancelled = true;
                                      throw;
                                    }
                                  }),
                  TimeoutError);
  CHECK(cancelled);
}

COREIO_TEST_CASE("nested timeouts with one deadline: only the outermost raises TimeoutError") {
  const auto deadline = coreio::get_running_loop().time() + 3ms;
  bool outer_saw = false;
  CHECK_THROWS_AS(coreio::timeout_at(deadline,
                                     [&] {
                                       try {
                                         coreio::timeout_at(deadline, [] { coreio::sleep(10s); });
                                       } catch (const CancelledError&) {
                                         // Both timers fired: the inner scope's count is not back
                                         // to its level, so it lets the CancelledError through.
                                         outer_saw = true;
                                         throw;
                                       } catch (const TimeoutError&) {
                                         // The inner timer ran (and the task resumed) before the
                                         // outer one: then the inner scope times out first.
                                         outer_saw = true;
                                         throw;
                                       }
                                     }),
                  TimeoutError);
  CHECK(outer_saw);
  CHECK(coreio::current_task().cancelling() == 0);
}

COREIO_TEST_CASE("nested timeouts: the inner one fires and the outer one is unaffected") {
  coreio::timeout(10s, [&](Timeout& outer) {
    CHECK_THROWS_AS(coreio::timeout(2ms, [] { coreio::sleep(10s); }), TimeoutError);
    CHECK_FALSE(outer.expired());
    coreio::sleep(1ms); // the outer scope still works
  });
}

COREIO_TEST_CASE("an outer deadline passing while the inner scope runs propagates CancelledError out of the inner") {
  bool inner_saw_cancel = false;
  CHECK_THROWS_AS(coreio::timeout(2ms,
                                  [&] {
                                    try {
                                      coreio::timeout(10s, [] { coreio::sleep(10s); });
                                    } catch (const CancelledError&) {
                                      inner_saw_cancel = true;
                                      throw;
                                    }
                                  }),
                  TimeoutError);
  CHECK(inner_saw_cancel);
}

COREIO_TEST_CASE("a busy body past both deadlines: the outer timeout still stops the work after the inner one") {
  // asyncio's test_nested_timeouts_loop_busy.
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(coreio::timeout(20ms,
                                  [] {
                                    try {
                                      coreio::timeout(2ms, [] {
                                        std::this_thread::sleep_for(25ms); // the loop is busy
                                        coreio::sleep(10s);
                                      });
                                    } catch (const TimeoutError&) {
                                      // Only if the inner timer fired alone.
                                    }
                                    coreio::sleep(10s); // interrupted by the outer timeout
                                  }),
                  TimeoutError);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

COREIO_TEST_CASE("a foreign exception passes through and the timeout is not expired") {
  bool expired = true;
  CHECK_THROWS_AS(coreio::timeout(10s,
                                  [&](Timeout& t) {
                                    expired = t.expired();
                                    throw std::out_of_range("key");
                                  }),
                  std::out_of_range);
  CHECK_FALSE(expired);
}

COREIO_TEST_CASE("an exception raised while handling the timeout's cancellation wins") {
  CHECK_THROWS_AS(coreio::timeout(2ms,
                                  [] {
                                    try {
                                      coreio::sleep(10s);
                                    } catch (const CancelledError&) {
                                      throw std::domain_error("in finally");
                                    }
                                  }),
                  std::domain_error);
  CHECK(coreio::current_task().cancelling() == 0);
}

COREIO_TEST_CASE("a foreign cancel of an unexpired timeout stays CancelledError") {
  std::atomic<bool> inside{false};
  auto t = coreio::create_task([&] {
    coreio::timeout(10s, [&] {
      inside = true;
      coreio::sleep(10s);
    });
  });
  until([&] { return inside.load(); });
  t.cancel();
  CHECK_THROWS_AS(t.get(), CancelledError);
  CHECK(t.cancelled());
}

COREIO_TEST_CASE("a self-cancel inside the scope stays CancelledError") {
  bool expired = true;
  CHECK_THROWS_AS(coreio::timeout(10s,
                                  [&](Timeout& t) {
                                    coreio::current_task().cancel();
                                    try {
                                      coreio::sleep(10s);
                                    } catch (const CancelledError&) {
                                      expired = t.expired();
                                      throw;
                                    }
                                  }),
                  CancelledError);
  CHECK_FALSE(expired);
  CHECK(coreio::current_task().uncancel() == 0);
}

COREIO_TEST_CASE("an outer cancel arriving after the deadline is never swallowed") {
  coreio::Future<void> expired;
  coreio::Future<void> never;
  auto t = coreio::create_task(
      [&] {
        coreio::timeout(1ms, [&] {
          try {
            coreio::sleep(10s);
          } catch (const CancelledError&) {
            expired.set_result(); // the deadline passed; clean up slowly
          }
          never.get(); // the outer cancel lands here
        });
      },
      on_loop(1));
  expired.get();
  t.cancel();
  CHECK_THROWS_AS(t.get(), CancelledError);
  CHECK(t.cancelled());
}

COREIO_TEST_CASE("the task that used a timeout is not left cancelled") {
  auto t = coreio::create_task([] { CHECK_THROWS_AS(coreio::timeout(1ms, [] { coreio::sleep(10s); }), TimeoutError); });
  t.get();
  CHECK_FALSE(t.cancelled());
  CHECK(t.done());
}

/// With work stealing another loop may resume a yielding task before its
/// loop runs the timeout's call_soon callback; elsewhere the order is asyncio's.
bool asyncio_order() {
  coreio::Runtime& rt = coreio::get_running_loop().runtime();
  return rt.num_loops() == 1 || !rt.config().stealing;
}

COREIO_TEST_CASE("timeout zero expires at the first suspension") {
  const auto t0 = coreio::get_running_loop().time();
  Timeout::time_point when{};
  bool expired = false;
  try {
    coreio::timeout(0ms, [&](Timeout& t) {
      when = *t.when();
      try {
        coreio::sleep(10s);
      } catch (const CancelledError&) {
        expired = t.expired();
        throw;
      }
    });
    FAIL("no TimeoutError");
  } catch (const TimeoutError&) {
    CHECK(expired);
  }
  CHECK(when >= t0);
  CHECK(when <= coreio::get_running_loop().time());
  if (asyncio_order()) CHECK_THROWS_AS(coreio::timeout(0ms, [] { coreio::yield_now(); }), TimeoutError);
}

COREIO_TEST_CASE("a deadline in the past also expires at the first suspension") {
  CHECK_THROWS_AS(coreio::timeout(-11s, [] { coreio::sleep(10s); }), TimeoutError);
  if (asyncio_order()) CHECK_THROWS_AS(coreio::timeout(-11s, [] { coreio::yield_now(); }), TimeoutError);
}

COREIO_TEST_CASE("a body that never suspends completes even with a zero timeout") {
  CHECK(coreio::timeout(0ms, [](Timeout& t) {
          CHECK_FALSE(t.expired());
          return 3;
        }) == 3);
  coreio::sleep(1ms); // no stray cancellation afterwards
  CHECK(coreio::current_task().cancelling() == 0);
}

COREIO_TEST_CASE("reschedule moves the deadline, and None disables it") {
  coreio::Loop& loop = coreio::get_running_loop();
  coreio::Future<Timeout*> handed;
  coreio::Future<void> release;
  std::atomic<bool> expired{true};
  auto t = coreio::create_task(
      [&] {
        coreio::timeout_at(loop.time() + 10s, [&](Timeout& cm) {
          handed.set_result(&cm);
          try {
            release.get();
          } catch (const CancelledError&) {
            expired = cm.expired();
            throw;
          }
        });
      },
      on_loop(1));
  Timeout* cm = handed.get(); // valid while t is blocked inside its scope
  const auto d2 = loop.time() + 30s;
  cm->reschedule(d2);
  CHECK(cm->when() == d2);
  cm->reschedule(std::nullopt);
  CHECK_FALSE(cm->when());
  t.cancel();
  CHECK_THROWS_AS(t.get(), CancelledError);
  CHECK_FALSE(expired.load());
}

COREIO_TEST_CASE("reschedule to an earlier deadline fires it; to a later one defers it") {
  CHECK_THROWS_AS(coreio::timeout(10s,
                                  [](Timeout& t) {
                                    t.reschedule(coreio::get_running_loop().time() + 2ms);
                                    coreio::sleep(10s);
                                  }),
                  TimeoutError);
  coreio::timeout(20ms, [](Timeout& t) {
    t.reschedule(coreio::get_running_loop().time() + 10s);
    coreio::sleep(25ms); // the first deadline has passed: no effect
    CHECK_FALSE(t.expired());
  });
}

COREIO_TEST_CASE("reschedule after expiry is a RuntimeError") {
  CHECK_THROWS_AS(coreio::timeout(1ms,
                                  [](Timeout& t) {
                                    try {
                                      coreio::sleep(10s);
                                    } catch (const CancelledError&) {
                                      CHECK(t.expired());
                                      CHECK_THROWS_WITH_AS(t.reschedule(std::nullopt), "Cannot change state of expiring Timeout",
                                                           coreio::RuntimeError);
                                      throw;
                                    }
                                  }),
                  TimeoutError);
}

COREIO_TEST_CASE("a timeout after a caught cancellation still times out") {
  // asyncio's test_timeout_after_cancellation: cancelling() is 1 on entry.
  try {
    coreio::current_task().cancel();
    coreio::sleep(10s);
  } catch (const CancelledError&) {
    // the work was cancelled; clean up under a timeout
  }
  CHECK_THROWS_AS(coreio::timeout(0ms, [] { coreio::sleep(10s); }), TimeoutError);
  CHECK(coreio::current_task().uncancel() == 0);
}

COREIO_TEST_CASE("a cancel inside a timeout after a caught cancellation stays CancelledError") {
  try {
    coreio::current_task().cancel();
    coreio::sleep(10s);
  } catch (const CancelledError&) {
    // as above
  }
  CHECK_THROWS_AS(coreio::timeout(1s,
                                  [] {
                                    coreio::current_task().cancel();
                                    coreio::sleep(2s);
                                  }),
                  CancelledError);
  coreio::current_task().uncancel();
  CHECK(coreio::current_task().uncancel() == 0);
}

COREIO_TEST_CASE("a nested timeout in a cleanup handler works") {
  CHECK_THROWS_AS(coreio::timeout(2ms,
                                  [] {
                                    std::exception_ptr cancelled;
                                    try {
                                      coreio::sleep(1s);
                                    } catch (const CancelledError&) {
                                      cancelled = std::current_exception();
                                    }
                                    CHECK_THROWS_AS(coreio::timeout(2ms, [] { coreio::sleep(10s); }), TimeoutError);
                                    if (cancelled) std::rethrow_exception(cancelled);
                                  }),
                  TimeoutError);
}

COREIO_TEST_CASE("the timer cancels the task wherever it migrated, awaiting work on another loop") {
  auto far = coreio::create_task([] { coreio::sleep(10s); return 1; }, on_loop(1));
  CHECK_THROWS_AS(coreio::timeout(3ms, [&] { return far.get(); }), TimeoutError);
  CHECK(far.cancelled()); // the awaited task was cancelled with the awaiting one
}

COREIO_TEST_CASE("timeout outside a task is a RuntimeError") {
  std::exception_ptr err;
  std::thread th([&] {
    try {
      coreio::timeout(1s, [] {});
    } catch (...) {
      err = std::current_exception();
    }
  });
  coreio::to_thread([&] { th.join(); });
  REQUIRE(err);
  CHECK_THROWS_AS(std::rethrow_exception(err), coreio::RuntimeError);
}

} // TEST_SUITE
