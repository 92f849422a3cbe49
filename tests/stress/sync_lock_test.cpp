#include "coreio/sync/lock.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "../sync/sync_test_support.hpp"
#include "coreio/coreio.hpp"
#include "coreio/sync/semaphore.hpp"
#include "coreio_test.hpp"

// Mutual exclusion and permit accounting under contention from tasks on every
// loop and plain threads, with a canceller task cancelling waiters at random
// (including ones that were just handed the lock or a permit). Workers swallow
// CancelledError and retry. Checks: no two holders at once (Lock), never more
// than N holders (Semaphore), and afterwards exactly the initial permits are
// free: none lost to a cancelled hand-off, none duplicated.

namespace {

using namespace std::chrono_literals;

constexpr int worker_tasks = 8;
constexpr int worker_threads = 2;
/// The run lasts until this many cancellations were sent...
constexpr int target_cancels = 400;
/// ...or this much time passed (slow sanitizer builds), whichever is first.
constexpr auto max_duration = std::chrono::seconds(3);

/// Cancels a random victim every few microseconds until `stop`; counts the
/// cancel() calls that reached a running task.
coreio::Task<> start_canceller(std::vector<coreio::TaskHandle>& victims, const std::atomic<bool>& stop,
                               std::atomic<int>& sent) {
  return coreio::create_task([&victims, &stop, &sent] {
    std::mt19937 rng(777);
    std::uniform_int_distribution<std::size_t> pick(0, victims.size() - 1);
    std::uniform_int_distribution<int> pause(0, 30);
    while (!stop.load()) {
      if (victims[pick(rng)].cancel()) sent.fetch_add(1);
      const int us = pause(rng);
      if (us < 20) coreio::yield_now();
      else coreio::sleep(std::chrono::microseconds(us));
    }
  });
}

/// Runs critical sections on every worker until enough cancellations were
/// injected; returns how many completed (a cancellation may hit the acquire
/// or a suspension inside the critical section, which is then abandoned).
template <class Mutex, class Critical>
int hammer(Mutex& m, Critical critical) {
  std::atomic<int> completed{0};
  std::atomic<int> started{0};
  std::atomic<bool> stop_work{false};
  std::vector<coreio::Task<>> tasks;
  for (int t = 0; t < worker_tasks; ++t) {
    tasks.push_back(coreio::create_task([&] {
      started.fetch_add(1);
      for (int i = 0; !stop_work.load(); ++i) {
        try {
          std::lock_guard guard(m);
          critical(i % 4 == 0); // may suspend (and be cancelled) with m held
          completed.fetch_add(1);
        } catch (const coreio::CancelledError&) {
          // The iteration is abandoned; the guard released m.
        }
      }
    }));
  }
  std::vector<coreio::TaskHandle> victims;
  for (auto& t : tasks) victims.push_back(t.handle());
  std::vector<std::unique_ptr<synctest::Thread>> threads;
  for (int t = 0; t < worker_threads; ++t) {
    threads.push_back(std::make_unique<synctest::Thread>([&] {
      while (!stop_work.load()) {
        std::lock_guard guard(m);
        critical(false);
        completed.fetch_add(1);
      }
    }));
  }
  // A task cancelled before it first runs never runs at all (asyncio): let
  // every worker start before the cancellations begin.
  synctest::eventually([&] { return started.load() == worker_tasks; });
  std::atomic<bool> stop_cancelling{false};
  std::atomic<int> sent{0};
  auto canceller = start_canceller(victims, stop_cancelling, sent);
  const auto deadline = std::chrono::steady_clock::now() + max_duration;
  while (sent.load() < target_cancels && std::chrono::steady_clock::now() < deadline)
    coreio::sleep(std::chrono::milliseconds(1));
  stop_cancelling = true;
  canceller.get();
  stop_work = true;
  for (auto& t : tasks) {
    try {
      t.get();
    } catch (const coreio::CancelledError&) {
      // A late cancellation may land after the worker's last suspension.
    }
  }
  for (auto& th : threads) th->join();
  CHECK(sent.load() > 0);
  MESSAGE("cancels sent: ", sent.load(), ", critical sections completed: ", completed.load());
  return completed.load();
}

} // namespace

TEST_SUITE("sync stress: Lock and Semaphore") {

COREIO_TEST_CASE("Lock: no two holders at once across loops and threads, with cancellations injected") {
  coreio::Lock lock;
  int counter = 0; // not atomic: the lock protects it
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  const int completed = hammer(lock, [&](bool suspend) {
    if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
    struct Leave {
      std::atomic<int>& inside;
      ~Leave() { inside.fetch_sub(1); }
    } leave{inside};
    const int seen = counter;
    if (suspend) coreio::yield_now(); // a task may be cancelled here, lock held
    counter = seen + 1;
  });
  CHECK(overlaps.load() == 0);
  CHECK(counter == completed);
  CHECK_FALSE(lock.locked());
  CHECK(lock.try_lock()); // the lock was not lost to a cancelled hand-off
  lock.unlock();
}

COREIO_TEST_CASE("Semaphore: never more than its permits held, none lost or duplicated, with cancellations injected") {
  constexpr int permits = 3;
  coreio::Semaphore sem(permits);
  std::atomic<int> inside{0};
  std::atomic<int> peak{0};
  hammer(sem, [&](bool suspend) {
    const int now = inside.fetch_add(1) + 1;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    struct Leave {
      std::atomic<int>& inside;
      ~Leave() { inside.fetch_sub(1); }
    } leave{inside};
    if (suspend) coreio::yield_now();
  });
  CHECK(peak.load() <= permits);
  for (int i = 0; i < permits; ++i) CHECK(sem.try_acquire());
  CHECK_FALSE(sem.try_acquire());
  for (int i = 0; i < permits; ++i) sem.release();
}

COREIO_TEST_CASE("BoundedSemaphore: hand-offs under cancellation never trip the bound") {
  coreio::BoundedSemaphore sem(2);
  hammer(sem, [&](bool suspend) {
    if (suspend) coreio::yield_now();
  });
  CHECK_THROWS_AS(sem.release(), coreio::ValueError); // exactly 2 free, not more
  CHECK(sem.try_acquire());
  CHECK(sem.try_acquire());
  CHECK_FALSE(sem.try_acquire());
  sem.release();
  sem.release();
}

} // TEST_SUITE
