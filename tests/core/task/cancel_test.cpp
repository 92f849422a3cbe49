#include "coreio/task.hpp" // self-contained header first

#include <atomic>
#include <chrono>
#include <thread>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

// When does a cancel() end a task? (task_base.hpp, "Cancellation".) asyncio
// never runs cancel() while the task runs; with several threads it can, and
// a request made during a step must not undo that step's effects.

using namespace std::chrono_literals;
using coreio::CancelledError;

namespace {
/// Busy-waits (never suspending: the step must not end) until `flag` is set.
/// Fails instead of hanging if that takes a minute.
void spin_until(const std::atomic<bool>& flag) {
  const auto deadline = std::chrono::steady_clock::now() + 1min;
  while (!flag.load(std::memory_order_acquire)) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "spin_until(): the flag was never set");
    std::this_thread::yield();
  }
}

/// From a plain thread: waits for `running`, cancels `t`, then sets `cancelled`.
std::jthread cancel_from_thread(coreio::TaskHandle t, std::atomic<bool>& running, std::atomic<bool>& cancelled,
                                std::atomic<bool>& returned_true) {
  return std::jthread([t, &running, &cancelled, &returned_true]() mutable {
    while (!running.load(std::memory_order_acquire)) std::this_thread::yield();
    returned_true.store(t.cancel("from another thread"), std::memory_order_relaxed);
    cancelled.store(true, std::memory_order_release);
  });
}
} // namespace

TEST_SUITE("Task cancellation") {
  COREIO_TEST_CASE("a cancel from another thread during a task's last step lets it complete with its value") {
    std::atomic<bool> running{false}, cancelled{false}, returned_true{false};
    auto t = coreio::create_task([&] {
      running.store(true, std::memory_order_release);
      spin_until(cancelled); // the request arrives while this step runs
      return 42; // ...and the body returns before any suspension point
    });
    std::jthread canceller = cancel_from_thread(t, running, cancelled, returned_true);
    const int v = t.get();
    canceller.join();
    CHECK(v == 42);
    CHECK_FALSE(t.cancelled());
    CHECK(returned_true.load()); // the task was not done when cancel() ran
    CHECK(t.cancelling() == 1); // counted, as for a task that swallowed it
  }

  COREIO_TEST_CASE("a cancel from another thread during a step is raised at the task's next suspension point") {
    std::atomic<bool> running{false}, cancelled{false}, returned_true{false};
    std::atomic<bool> raised{false};
    auto t = coreio::create_task([&] {
      running.store(true, std::memory_order_release);
      spin_until(cancelled);
      try {
        coreio::yield_now();
      } catch (const CancelledError& e) {
        raised.store(e.message() == "from another thread");
        throw;
      }
      return 1;
    });
    std::jthread canceller = cancel_from_thread(t, running, cancelled, returned_true);
    CHECK_THROWS_AS(t.get(), CancelledError);
    canceller.join();
    CHECK(t.cancelled());
    CHECK(raised.load());
  }

  COREIO_TEST_CASE("a cancel while the task waits, after its wait got a value, still ends it cancelled") {
    // asyncio: the task resumes with CancelledError thrown in; coreio keeps the
    // value and delivers the cancel at the body's end, with the same outcome.
    coreio::Future<int> f;
    auto t = coreio::create_task([&] { return f.get() + 1; }, {.pinned = true, .loop = &coreio::get_running_loop()});
    coreio::yield_now(); // t starts and waits on f (pinned here: it runs only when we suspend)
    REQUIRE_FALSE(t.done());
    f.set_result(1); // t is woken...
    t.cancel(); // ...and cancelled before it resumes (it is on our loop, and we do not suspend)
    CHECK_THROWS_AS(t.get(), CancelledError);
    CHECK(t.cancelled());
  }

  COREIO_TEST_CASE("a task that cancels itself and returns ends cancelled, whatever thread it runs on") {
    std::atomic<bool> returned{false};
    auto t = coreio::create_task([&] {
      coreio::current_task().cancel("self");
      returned.store(true);
      return 7;
    });
    CHECK_THROWS_AS(t.get(), CancelledError);
    CHECK(returned.load());
    CHECK(t.cancelled());
  }

} // TEST_SUITE
