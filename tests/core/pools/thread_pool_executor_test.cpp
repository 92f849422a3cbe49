#include "coreio/thread_pool_executor.hpp"

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

TEST_SUITE("ThreadPoolExecutor") {

COREIO_TEST_CASE("run_in_executor with a ThreadPoolExecutor returns the call's value to the task") {
  coreio::ThreadPoolExecutor pool(2);
  auto& loop = coreio::get_running_loop();
  CHECK(loop.run_in_executor(&pool, [](int x) { return x * 2; }, 21).get() == 42);
  pool.shutdown();
}

TEST_CASE("submit from plain OS threads: get() blocks the thread until the result is there") {
  coreio::ThreadPoolExecutor pool(3);
  std::vector<std::thread> users;
  std::atomic<int> sum{0};
  for (int t = 0; t < 4; ++t)
    users.emplace_back([&pool, &sum, t] {
      for (int i = 0; i < 50; ++i) sum += pool.submit([](int a, int b) { return a + b; }, t, i).get();
    });
  for (auto& u : users) u.join();
  CHECK(sum.load() == 50 * (0 + 1 + 2 + 3) + 4 * (49 * 50 / 2));
}

TEST_CASE("at most max_workers threads run; threads start only on demand") {
  coreio::ThreadPoolExecutor pool(2);
  CHECK(pool.num_threads() == 0);
  std::mutex mu;
  std::set<std::thread::id> ids;
  std::vector<coreio::Future<void>> fs;
  for (int i = 0; i < 20; ++i)
    fs.push_back(pool.submit([&] {
      std::this_thread::sleep_for(1ms);
      std::lock_guard g(mu);
      ids.insert(std::this_thread::get_id());
    }));
  for (auto& f : fs) f.get();
  CHECK(ids.size() <= 2);
  CHECK(pool.num_threads() <= 2);
}

TEST_CASE("the default max_workers is min(32, cpu + 4); zero is a ValueError") {
  coreio::ThreadPoolExecutor pool;
  CHECK(pool.max_workers() == std::min<std::size_t>(32, std::thread::hardware_concurrency() + 4));
  CHECK_THROWS_AS(coreio::ThreadPoolExecutor(0), coreio::ValueError);
}

COREIO_TEST_CASE("an exception thrown by the call is rethrown by get() with its type") {
  coreio::ThreadPoolExecutor pool(1);
  auto f = coreio::get_running_loop().run_in_executor(&pool, [] { throw std::out_of_range("index 7"); });
  CHECK_THROWS_WITH_AS(f.get(), "index 7", std::out_of_range);
}

TEST_CASE("shutdown(wait) runs queued calls; submit afterwards raises RuntimeError") {
  coreio::ThreadPoolExecutor pool(1);
  std::atomic<int> ran{0};
  std::vector<coreio::Future<void>> fs;
  for (int i = 0; i < 5; ++i)
    fs.push_back(pool.submit([&] {
      std::this_thread::sleep_for(2ms);
      ++ran;
    }));
  pool.shutdown(true);
  CHECK(ran.load() == 5);
  for (auto& f : fs) CHECK(f.done());
  CHECK_THROWS_WITH_AS(pool.submit([] {}), "cannot schedule new futures after shutdown", coreio::RuntimeError);
  pool.shutdown(); // idempotent
}

TEST_CASE("shutdown(cancel_futures) cancels the queued calls and lets the running one finish") {
  coreio::ThreadPoolExecutor pool(1);
  std::atomic<bool> release{false};
  std::atomic<int> ran{0};
  auto running = pool.submit([&] {
    while (!release.load()) std::this_thread::sleep_for(1ms);
    ++ran;
  });
  while (pool.num_threads() == 0) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(5ms);
  std::vector<coreio::Future<void>> queued;
  for (int i = 0; i < 4; ++i) queued.push_back(pool.submit([&] { ++ran; }));
  std::thread releaser([&] {
    std::this_thread::sleep_for(20ms);
    release = true;
  });
  pool.shutdown(true, true);
  releaser.join();
  CHECK(running.done());
  CHECK_FALSE(running.cancelled());
  for (auto& f : queued) CHECK(f.cancelled());
  CHECK(ran.load() == 1);
}

TEST_CASE("a queued call whose future was cancelled never runs") {
  coreio::ThreadPoolExecutor pool(1);
  std::atomic<bool> release{false};
  std::atomic<bool> second_ran{false};
  auto first = pool.submit([&] {
    while (!release.load()) std::this_thread::sleep_for(1ms);
  });
  auto second = pool.submit([&] { second_ran = true; });
  CHECK(second.cancel());
  release = true;
  first.get();
  pool.shutdown();
  CHECK_FALSE(second_ran.load());
}

TEST_CASE("the destructor waits for the calls still running") {
  std::atomic<bool> finished{false};
  {
    coreio::ThreadPoolExecutor pool(1);
    (void)pool.submit([&] {
      std::this_thread::sleep_for(20ms);
      finished = true;
    });
  }
  CHECK(finished.load());
}

} // TEST_SUITE
