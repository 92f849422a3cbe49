// Scheduler stress: many tasks, cross-loop wake-ups, cancellation storms and
// foreign-thread injection while loops park and unpark. Each test would hang
// (caught by the ctest timeout) on a lost wake-up, and checks every result.
#include "coreio/runtime.hpp"

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

using namespace std::chrono_literals;

namespace {
#if defined(COREIO_TSAN)
// Each task's fiber is a TSan fiber, a whole ThreadState that takes TSan
// milliseconds to create (50,000 tasks took 220-280 s on an idle machine).
// Keeping finished ones for reuse made their memory grow without bound
// (20 GB for 50,000 tasks), so TSan runs fewer.
constexpr long many_tasks = 5'000;
constexpr int rounds = 2'000;
#elif defined(COREIO_ASAN)
constexpr long many_tasks = 50'000;
constexpr int rounds = 2'000;
#else
constexpr long many_tasks = 1'000'000;
constexpr int rounds = 20'000;
#endif
} // namespace

TEST_SUITE("Scheduler stress") {

COREIO_TEST_CASE("a million tasks across all loops all run, each result checked") {
  std::vector<coreio::Task<long>> ts;
  ts.reserve(many_tasks);
  for (long i = 0; i < many_tasks; ++i) ts.push_back(coreio::create_task([i] { return i * 2; }));
  long sum = 0, wrong = 0;
  for (long i = 0; i < many_tasks; ++i) {
    const long v = ts[i].get();
    wrong += v != 2 * i;
    sum += v;
  }
  CHECK(wrong == 0);
  CHECK(sum == many_tasks * (many_tasks - 1));
}

COREIO_TEST_CASE("tasks bounce a token between loops through futures without losing a wake-up") {
  auto& rt = coreio::get_running_loop().runtime();
  auto& a = rt.loop(0);
  auto& b = rt.loop(rt.num_loops() - 1);
  // Two pinned tasks on different loops hand a counter back and forth; each
  // hand-off is a fresh Future completed on one loop and awaited on the other.
  std::vector<coreio::Future<int>> to_b(rounds + 1), to_a(rounds + 1);
  auto tb = b.create_task([&] {
    for (int i = 0; i < rounds; ++i) to_a[i].set_result(to_b[i].get() + 1);
  });
  auto ta = a.create_task([&] {
    int v = 0;
    for (int i = 0; i < rounds; ++i) {
      to_b[i].set_result(v);
      v = to_a[i].get();
    }
    return v;
  });
  CHECK(ta.get() == rounds);
  tb.get();
}

COREIO_TEST_CASE("cancellation storms against sleeping and running tasks leave every task finished") {
  constexpr int n = 2'000;
  std::atomic<int> cancelled{0}, finished{0};
  std::vector<coreio::Task<>> ts;
  for (int i = 0; i < n; ++i)
    ts.push_back(coreio::create_task([&, i] {
      try {
        if (i % 3 == 0) coreio::sleep(1h);        // parked on a timer
        else if (i % 3 == 1)
          for (;;) coreio::yield_now();            // always runnable
        else coreio::sleep(std::chrono::microseconds(i)); // racing its own timer
        finished++;
      } catch (const coreio::CancelledError&) {
        cancelled++;
        throw;
      }
    }));
  coreio::sleep(2ms);
  std::thread canceller([&] { // half of the cancels from a foreign thread
    for (int i = 0; i < n; i += 2) ts[i].cancel();
  });
  for (int i = 1; i < n; i += 2) ts[i].cancel();
  canceller.join();
  int done = 0;
  for (auto& t : ts) {
    t.wait();
    done += t.done();
  }
  CHECK(done == n);
  // Every task either finished its body or saw CancelledError (or never started).
  CHECK(cancelled.load() + finished.load() <= n);
  for (int i = 1; i < n; i += 3) CHECK(ts[i].cancelled()); // the spinning ones can only end by cancellation
}

COREIO_TEST_CASE("call_soon_threadsafe from several threads while loops park and unpark") {
  auto& rt = coreio::get_running_loop().runtime();
  constexpr int threads = 4;
  constexpr int per_thread = rounds;
  std::atomic<int> count{0};
  coreio::Future<> all_done;
  std::vector<std::thread> ths;
  for (int t = 0; t < threads; ++t)
    ths.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < per_thread; ++i) {
        auto& loop = rt.loop(rng() % rt.num_loops());
        loop.call_soon_threadsafe([&, all_done]() mutable {
          if (count.fetch_add(1) + 1 == threads * per_thread) all_done.set_result();
        });
        // Bursts with pauses, so loops really go idle and park in between.
        if (i % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 200));
      }
    });
  for (auto& th : ths) th.join();
  all_done.get();
  CHECK(count.load() == threads * per_thread);
}

COREIO_TEST_CASE("futures completed from a foreign thread wake parked tasks every time") {
  constexpr int n = 500;
  std::vector<coreio::Future<int>> fs(n);
  std::vector<coreio::Task<int>> ts;
  for (int i = 0; i < n; ++i) ts.push_back(coreio::create_task([f = fs[i]] { return f.get(); }));
  coreio::sleep(2ms); // let them park
  std::thread completer([&] {
    std::mt19937 rng(7);
    for (int i = 0; i < n; ++i) {
      if (rng() % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300));
      fs[i].set_result(i);
    }
  });
  long sum = 0;
  for (auto& t : ts) sum += t.get();
  completer.join();
  CHECK(sum == long(n) * (n - 1) / 2);
}

} // TEST_SUITE
