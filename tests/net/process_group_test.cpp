// serve_processes' checks before it forks anything. Its behaviour with live
// workers (spread, restart, graceful stop, crash loop) needs a
// single-threaded caller: tests/net/test_process_group.py drives
// process_group_probe for that.
#include "coreio/net/process_group.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "coreio/exceptions.hpp"

namespace {
coreio::Server never_called(std::size_t) {
  FAIL("serve_processes started a worker");
  return {};
}
} // namespace

TEST_SUITE("serve_processes") {
  TEST_CASE("zero workers or an empty fn is a ValueError") {
    CHECK_THROWS_AS(coreio::serve_processes(0, never_called), coreio::ValueError);
    CHECK_THROWS_AS(coreio::serve_processes(2, coreio::ProcessGroupServe{}), coreio::ValueError);
    coreio::ProcessGroupOptions bad;
    bad.restart_window = std::chrono::nanoseconds(0);
    CHECK_THROWS_AS(coreio::serve_processes(2, never_called, bad), coreio::ValueError);
  }

  TEST_CASE("a caller with other threads is refused before anything forks") {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::thread other([&] {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return done; });
    });
    CHECK_THROWS_AS(coreio::serve_processes(2, never_called), coreio::RuntimeError);
    {
      std::lock_guard g(mu);
      done = true;
    }
    cv.notify_one();
    other.join();
  }

} // TEST_SUITE
