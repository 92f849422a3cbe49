#include "coreio/runtime.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

using namespace std::chrono_literals;

TEST_SUITE("Runtime") {

TEST_CASE("run returns the main task's value in every shape") {
  for (const auto& s : coreio::testing::shapes()) {
    INFO(s.label);
    CHECK(coreio::run([] { return 42; }, s.config) == 42);
  }
}

TEST_CASE("run rethrows the main task's exception") {
  CHECK_THROWS_WITH_AS(coreio::run([]() -> int { throw std::runtime_error("main failed"); }, {.loops = 1}),
                       "main failed", std::runtime_error);
}

TEST_CASE("run cancels and unwinds tasks still pending when main returns") {
  for (const auto& s : coreio::testing::shapes()) {
    INFO(s.label);
    auto destroyed = std::make_shared<std::atomic<int>>(0);
    struct Guard {
      std::shared_ptr<std::atomic<int>> c;
      ~Guard() { c->fetch_add(1); }
    };
    std::atomic<int> saw_cancel{0};
    std::atomic<int> started{0};
    coreio::run(
        [&] {
          for (int i = 0; i < 20; ++i)
            coreio::create_task([&, destroyed] {
              Guard g{destroyed};
              started++;
              try {
                coreio::sleep(1h);
              } catch (const coreio::CancelledError&) {
                saw_cancel++;
                throw;
              }
            });
          // A task cancelled before it starts never runs its body (asyncio),
          // so let all of them reach their sleep first.
          while (started.load() < 20) coreio::sleep(1ms);
        },
        s.config);
    CHECK(destroyed->load() == 20);
    CHECK(saw_cancel.load() == 20);
  }
}

TEST_CASE("Runner runs several programs on one runtime, then closes") {
  coreio::Runner runner({.loops = 2});
  CHECK(runner.run([] { return 1; }) == 1);
  CHECK(runner.run([] {
    coreio::sleep(1ms);
    return 2;
  }) == 2);
  runner.close();
  CHECK_THROWS_AS(runner.run([] { return 3; }), coreio::RuntimeError);
}

TEST_CASE("run inside a running loop is a RuntimeError") {
  coreio::run(
      [] {
        CHECK_THROWS_AS(coreio::run([] { return 0; }), coreio::RuntimeError);
      },
      {.loops = 1});
}

TEST_CASE("many runtimes can be created and destroyed") {
  for (int i = 0; i < 50; ++i) {
    coreio::Runtime rt({.loops = 2, .stealing = (i % 2) == 0});
    CHECK(rt.block_on([] { return coreio::get_running_loop().index(); }) < 2);
  }
}

TEST_CASE("metrics count tasks run per loop") {
  coreio::Runtime rt({.loops = 2});
  rt.block_on([] {
    std::vector<coreio::Task<>> ts;
    for (int i = 0; i < 1000; ++i) ts.push_back(coreio::create_task([] { coreio::yield_now(); }));
    for (auto& t : ts) t.get();
  });
  auto m = rt.metrics();
  REQUIRE(m.loops.size() == 2);
  std::uint64_t run = 0;
  for (auto& l : m.loops) run += l.tasks_run;
  CHECK(run >= 2000); // every task ran at least twice (before and after its yield)
}

TEST_CASE("a task exception that is never retrieved is still counted as done") {
  // Logged through spdlog when the task is destroyed; here we check the
  // runtime stays usable and shutdown completes.
  coreio::run([] {
    coreio::create_task([] { throw std::runtime_error("nobody looks"); });
    coreio::sleep(2ms);
  }, {.loops = 1});
}

TEST_CASE("the default stack is guarded and a deep-but-legal recursion fits") {
  // ASan's redzones make each frame several times larger, so it gets a
  // shallower (still non-trivial) recursion in the same 256 KiB.
#if defined(COREIO_ASAN)
  constexpr int depth = 150;
#else
  constexpr int depth = 1000;
#endif
  std::function<int(int)> f = [&](int n) { return n == 0 ? 0 : 1 + f(n - 1); };
  CHECK(coreio::run([&] { return f(depth); }, {.loops = 1}) == depth);
}

TEST_CASE("COREIO_DEBUG-style slow step logging does not disturb execution") {
  coreio::RuntimeConfig cfg{.loops = 1, .debug = true, .slow_callback_duration = 1ms};
  CHECK(coreio::run([] {
    std::this_thread::sleep_for(3ms); // a slow step (logged as a warning)
    return 1;
  }, cfg) == 1);
}

} // TEST_SUITE
