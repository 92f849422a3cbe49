// Blocking-pool stress: jobs submitted around a worker's spin window (wake
// protocol step 4 in core/src/pools/thread_pool.hpp). A job counted on a spinning
// worker that nobody then takes would sit in the queue forever; each call
// here runs under a deadline, so that shows as a failure, not a hang.
#include "coreio/to_thread.hpp"

#include <atomic>
#include <chrono>
#include <random>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

using namespace std::chrono_literals;

namespace {
#if defined(COREIO_TSAN) || defined(COREIO_ASAN)
constexpr int calls_per_caller = 1'000;
#else
constexpr int calls_per_caller = 10'000;
#endif

/// Busy-waits `d` on the calling thread: a gap the size of the spin window,
/// which a sleep (a timer, a park) could not hit as precisely.
void busy_for(std::chrono::nanoseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}
} // namespace

TEST_SUITE("Blocking pool stress") {

COREIO_TEST_CASE("to_thread calls arriving before, during and after a worker's spin all run") {
  std::atomic<long> ran{0};
  constexpr int tasks = 3;
  std::vector<coreio::Task<long>> ts;
  for (int t = 0; t < tasks; ++t)
    ts.push_back(coreio::create_task([&, t] {
      std::mt19937 rng(1234 + t);
      std::uniform_int_distribution<int> gap_us(0, 25);
      long sum = 0;
      for (int i = 0; i < calls_per_caller; ++i) {
        busy_for(std::chrono::microseconds(gap_us(rng)));
        // wait_for: a job stranded in the queue fails here instead of hanging.
        sum += coreio::wait_for(coreio::create_task([&ran, i] {
                                  return coreio::to_thread([&ran, i] {
                                    ran.fetch_add(1, std::memory_order_relaxed);
                                    return long(i);
                                  });
                                }),
                                10s);
      }
      return sum;
    }));
  long total = 0;
  for (auto& t : ts) total += t.get();
  const long per_caller = long(calls_per_caller) * (calls_per_caller - 1) / 2;
  CHECK(total == tasks * per_caller);
  CHECK(ran.load() == long(tasks) * calls_per_caller);
}

} // TEST_SUITE
