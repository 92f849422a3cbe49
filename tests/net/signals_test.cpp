#include "coreio/net/signals.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

using namespace std::chrono_literals;

// Signals are raised with raise(), i.e. sent to the calling loop thread, not
// with kill(getpid()): the kernel may hand a process-directed signal to the
// main thread, which sits in coreio::run's futex wait, and under TSan a signal
// that lands on a thread blocked in a call TSan does not intercept is held
// until that thread wakes (here: until the test ends).

namespace {
template <class Pred>
bool eventually(Pred done) {
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    coreio::sleep(1ms);
  }
  return true;
}
} // namespace

TEST_SUITE("Signal handlers") {

COREIO_TEST_CASE("a signal runs its handler as a callback on the loop it was added to") {
  auto& rt = coreio::get_running_loop().runtime();
  coreio::Loop& loop = rt.loop(rt.num_loops() - 1);
  std::atomic<int> calls{0};
  std::atomic<bool> on_loop{false}, in_task{true};
  coreio::add_signal_handler(loop, SIGUSR1, [&] {
    on_loop = &coreio::get_running_loop() == &loop;
    in_task = static_cast<bool>(coreio::current_task());
    calls++;
  });
  ::raise(SIGUSR1);
  REQUIRE(eventually([&] { return calls.load() == 1; }));
  CHECK(on_loop.load());
  CHECK_FALSE(in_task.load()); // a callback, not a task, and never in signal context
  // A second add replaces the handler.
  std::atomic<int> second{0};
  coreio::add_signal_handler(loop, SIGUSR1, [&] { second++; });
  ::raise(SIGUSR1);
  REQUIRE(eventually([&] { return second.load() == 1; }));
  CHECK(calls.load() == 1);
  CHECK(coreio::remove_signal_handler(loop, SIGUSR1));
  CHECK_FALSE(coreio::remove_signal_handler(loop, SIGUSR1));
}

COREIO_TEST_CASE("after remove_signal_handler the signal gets its default action back") {
  coreio::Loop& loop = coreio::get_running_loop();
  std::atomic<int> calls{0};
  coreio::add_signal_handler(loop, SIGWINCH, [&] { calls++; }); // default action: ignore
  ::raise(SIGWINCH);
  REQUIRE(eventually([&] { return calls.load() == 1; }));
  CHECK(coreio::remove_signal_handler(loop, SIGWINCH));
  struct sigaction now {};
  ::sigaction(SIGWINCH, nullptr, &now);
  const bool default_action = now.sa_handler == SIG_DFL;
  CHECK(default_action);
  ::raise(SIGWINCH);
  coreio::sleep(20ms);
  CHECK(calls.load() == 1);
}

COREIO_TEST_CASE("invalid signals, uncatchable signals and calls from outside the runtime are errors") {
  coreio::Loop& loop = coreio::get_running_loop();
  CHECK_THROWS_AS(coreio::add_signal_handler(loop, 0, [] {}), coreio::ValueError);
  CHECK_THROWS_AS(coreio::add_signal_handler(loop, NSIG, [] {}), coreio::ValueError);
  CHECK_THROWS_AS(coreio::remove_signal_handler(loop, -1), coreio::ValueError);
  CHECK_THROWS_AS(coreio::add_signal_handler(loop, SIGKILL, [] {}), coreio::RuntimeError);
  CHECK_THROWS_AS(coreio::add_signal_handler(loop, SIGSTOP, [] {}), coreio::RuntimeError);
  bool thrown = false;
  std::thread outside([&] {
    try {
      coreio::add_signal_handler(loop, SIGUSR2, [] {});
    } catch (const coreio::RuntimeError&) {
      thrown = true;
    }
  });
  outside.join();
  CHECK(thrown);
}

} // TEST_SUITE
