#include "coreio/run_coroutine_threadsafe.hpp"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

using namespace std::chrono_literals;

namespace {
// The threads below wait for tasks on the runtime's loops: joining them on a
// loop thread would block that loop (and with one loop, deadlock).
void join_off_loop(std::thread& th) {
  coreio::to_thread([&th] { th.join(); });
}
} // namespace

TEST_SUITE("run_coroutine_threadsafe") {

COREIO_TEST_CASE("a plain thread runs a task on a loop and blocks in get() for its value") {
  auto& loop = coreio::get_running_loop();
  int seen = 0;
  std::thread th([&] {
    seen = coreio::run_coroutine_threadsafe(
               [] {
                 coreio::sleep(2ms);
                 return 7;
               },
               loop)
               .get();
  });
  join_off_loop(th);
  CHECK(seen == 7);
}

COREIO_TEST_CASE("the task runs on the given loop") {
  auto& rt = coreio::get_running_loop().runtime();
  for (std::size_t i = 0; i < rt.num_loops(); ++i) {
    coreio::Loop& target = rt.loop(i);
    std::size_t ran_on = 99;
    std::thread th([&] {
      ran_on = coreio::run_coroutine_threadsafe([] { return coreio::get_running_loop().index(); }, target).get();
    });
    join_off_loop(th);
    CHECK(ran_on == i);
  }
}

COREIO_TEST_CASE("an exception in the task is rethrown by the future") {
  auto& loop = coreio::get_running_loop();
  std::thread th([&] {
    auto f = coreio::run_coroutine_threadsafe([]() -> int { throw std::invalid_argument("nope"); }, loop);
    CHECK_THROWS_WITH_AS(f.get(), "nope", std::invalid_argument);
  });
  join_off_loop(th);
}

COREIO_TEST_CASE("cancelling the returned future cancels the task") {
  auto& loop = coreio::get_running_loop();
  std::atomic<bool> started{false};
  std::atomic<bool> saw_cancel{false};
  std::thread th([&] {
    auto f = coreio::run_coroutine_threadsafe(
        [&] {
          started = true;
          try {
            coreio::sleep(10s);
          } catch (const coreio::CancelledError&) {
            saw_cancel = true;
            throw;
          }
        },
        loop);
    while (!started.load()) std::this_thread::sleep_for(1ms);
    CHECK(f.cancel());
    CHECK(f.cancelled());
    CHECK_THROWS_AS(f.get(), coreio::CancelledError);
  });
  join_off_loop(th);
  for (int i = 0; i < 1000 && !saw_cancel.load(); ++i) coreio::sleep(1ms);
  CHECK(saw_cancel.load());
}

TEST_CASE("on a closed runtime the error is stored in the future") {
  coreio::Runtime rt({.loops = 1});
  coreio::Loop& loop = rt.loop(0);
  rt.close();
  auto f = coreio::run_coroutine_threadsafe([] { return 1; }, loop);
  CHECK_THROWS_AS(f.get(), coreio::RuntimeError);
}

COREIO_TEST_CASE("many threads at once: every submission completes") {
  auto& rt = coreio::get_running_loop().runtime();
  constexpr int threads = 8, per_thread = 200;
  std::atomic<long> total{0};
  std::vector<std::thread> ths;
  for (int t = 0; t < threads; ++t)
    ths.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i)
        total += coreio::run_coroutine_threadsafe([i] { return i; }, rt.loop(std::size_t(t + i) % rt.num_loops())).get();
    });
  for (auto& th : ths) join_off_loop(th);
  CHECK(total.load() == long(threads) * per_thread * (per_thread - 1) / 2);
}

} // TEST_SUITE

TEST_SUITE("call_soon_threadsafe") {

COREIO_TEST_CASE("under contention from many threads every callback runs exactly once, FIFO per thread") {
  auto& rt = coreio::get_running_loop().runtime();
  constexpr int threads = 8, per_thread = 20'000;
  std::vector<std::atomic<int>> last(threads);
  for (auto& l : last) l = -1;
  std::atomic<long> count{0};
  std::atomic<bool> in_order{true};
  std::vector<std::thread> ths;
  // Each thread targets one loop, so its callbacks must run in its order.
  for (int t = 0; t < threads; ++t)
    ths.emplace_back([&, t] {
      coreio::Loop& loop = rt.loop(std::size_t(t) % rt.num_loops());
      for (int i = 0; i < per_thread; ++i)
        loop.call_soon_threadsafe([&, t, i] {
          if (last[t].exchange(i) != i - 1) in_order = false;
          // Release: the test body's Acquire load of count then happens-after
          // this callback's uses of `last`, which it destroys.
          count.fetch_add(1, std::memory_order_release);
        });
    });
  for (auto& th : ths) th.join();
  while (count.load(std::memory_order_acquire) < long(threads) * per_thread) coreio::sleep(1ms);
  CHECK(count.load(std::memory_order_acquire) == long(threads) * per_thread);
  CHECK(in_order.load());
}

} // TEST_SUITE
