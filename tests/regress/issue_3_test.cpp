// Regressions found while building the composition layer (issue 3).
#include "coreio/task.hpp" // self-contained header first

#include <atomic>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;

TEST_SUITE("issue 3 regressions") {

COREIO_TEST_CASE("a task that suspends inside a catch block rethrows its own exception") {
  // The C++ runtime's caught-exception stack is per thread; before fiber
  // switches swapped it, `throw;` after a suspension rethrew another task's
  // exception (or crashed).
  std::vector<coreio::Task<bool>> tasks;
  for (int i = 0; i < 40; ++i)
    tasks.push_back(coreio::create_task([i] {
      try {
        throw std::runtime_error("e" + std::to_string(i));
      } catch (...) {
        coreio::sleep(1ms);
        coreio::yield_now();
        try {
          throw;
        } catch (const std::runtime_error& e) {
          return std::string(e.what()) == "e" + std::to_string(i);
        }
      }
    }));
  for (auto& t : tasks) CHECK(t.get());
  CHECK(std::uncaught_exceptions() == 0);
}

COREIO_TEST_CASE("std::uncaught_exceptions() follows the task across a suspension during unwinding") {
  struct SuspendsInDestructor {
    int* seen;
    ~SuspendsInDestructor() {
      coreio::sleep(1ms);
      *seen = std::uncaught_exceptions();
    }
  };
  std::vector<coreio::Task<int>> tasks;
  for (int i = 0; i < 20; ++i)
    tasks.push_back(coreio::create_task([] {
      int seen = -1;
      try {
        SuspendsInDestructor s{&seen};
        throw std::runtime_error("unwinding");
      } catch (const std::runtime_error&) {
        // The destructor ran (and suspended) during the unwinding.
      }
      return seen;
    }));
  for (auto& t : tasks) CHECK(t.get() == 1);
  CHECK(std::uncaught_exceptions() == 0);
}

COREIO_TEST_CASE("a cancellation pending when a task starts awaiting a task cancels that task and waits for it") {
  std::atomic<bool> child_started{false};
  std::atomic<bool> child_cleaned{false};
  auto child = coreio::create_task([&] {
    child_started = true;
    try {
      coreio::sleep(10s);
    } catch (const coreio::CancelledError&) {
      coreio::sleep(2ms); // cleanup that takes a while
      child_cleaned = true;
      throw;
    }
  });
  auto parent = coreio::create_task([&] {
    // With several loops the parent may run before the child has started; a
    // task cancelled before its first step never runs its body (asyncio's
    // rule too), so the child must be inside its try block first.
    coreio::testing::until([&] { return child_started.load(); });
    coreio::current_task().cancel("from inside");
    child.get(); // asyncio's __step hands the pending cancel to the awaited task
  });
  CHECK_THROWS_AS(parent.get(), coreio::CancelledError);
  CHECK(child.cancelled());
  CHECK(child_cleaned.load()); // the parent waited for the child to finish cancelling
}

COREIO_TEST_CASE("a pending cancellation and an awaited future that ends cancelled give one CancelledError") {
  coreio::Future<int> f;
  std::atomic<int> caught{0};
  // Pinned to this loop: both cancels land before the task can resume.
  auto t = coreio::get_running_loop().create_task([&] {
    try {
      f.get();
    } catch (const coreio::CancelledError&) {
      ++caught;
    }
    coreio::sleep(1ms); // no second CancelledError here
    return caught.load();
  });
  coreio::sleep(2ms); // t is now blocked in f.get()
  t.cancel(); // cancels f (the awaited future)
  t.cancel(); // f is already cancelled: becomes a pending request
  CHECK(t.get() == 1);
  CHECK(t.cancelling() == 2);
}

} // TEST_SUITE
