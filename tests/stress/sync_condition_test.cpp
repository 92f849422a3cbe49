#include "coreio/sync/condition.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <deque>
#include <random>
#include <thread>
#include <vector>

#include "../sync/sync_test_support.hpp"
#include "coreio/coreio.hpp"
#include "coreio/sync/barrier.hpp"
#include "coreio/sync/event.hpp"
#include "coreio_test.hpp"

// Condition, Event and Barrier between tasks on every loop and plain threads.
// The Condition case is a hand-made queue (deque + notify(1)) whose consumers
// are cancelled at random: a consumer that is notified and then cancelled
// must pass its notification on, or some item would sit unconsumed while a
// consumer sleeps (the test would then hang on its final wait).

namespace {
using namespace std::chrono_literals;
} // namespace

TEST_SUITE("sync stress: Condition, Event and Barrier") {

COREIO_TEST_CASE("Condition: every item reaches a consumer exactly once while consumers are cancelled at random") {
  constexpr int producers = 3;
  constexpr int per_producer = 1000;
  constexpr int consumers = 4;
  coreio::Condition cond;
  std::deque<int> items; // guarded by cond's lock
  bool closed = false;   // guarded by cond's lock
  std::vector<std::atomic<int>> seen(producers * per_producer);
  std::atomic<int> cancelled_waits{0};

  std::atomic<int> started{0};
  std::vector<coreio::Task<>> consumer_tasks;
  for (int c = 0; c < consumers; ++c) {
    consumer_tasks.push_back(coreio::create_task([&] {
      started.fetch_add(1);
      for (;;) {
        try {
          std::unique_lock guard(cond);
          cond.wait_for([&] { return !items.empty() || closed; });
          if (items.empty()) return; // closed and drained
          const int v = items.front();
          items.pop_front();
          seen[static_cast<std::size_t>(v)].fetch_add(1);
        } catch (const coreio::CancelledError&) {
          cancelled_waits.fetch_add(1); // the lock was re-acquired and released by the guard
        }
      }
    }));
  }
  auto produce = [&](int p) {
    for (int i = 0; i < per_producer; ++i) {
      {
        std::lock_guard guard(cond);
        items.push_back(p * per_producer + i);
        cond.notify(1);
      }
      if (i % 2 == 0) coreio::yield_now(); // let consumers (and the canceller) in
    }
  };
  std::vector<coreio::Task<>> producer_tasks;
  for (int p = 0; p < producers - 1; ++p) producer_tasks.push_back(coreio::create_task([&, p] { produce(p); }));
  synctest::Thread thread_producer([&] { produce(producers - 1); });

  // A task cancelled before it first runs never runs at all (asyncio).
  synctest::eventually([&] { return started.load() == consumers; });
  std::atomic<bool> stop{false};
  auto canceller = coreio::create_task([&] {
    std::mt19937 rng(99);
    std::uniform_int_distribution<std::size_t> pick(0, consumer_tasks.size() - 1);
    std::uniform_int_distribution<int> pause(0, 30);
    while (!stop.load()) {
      consumer_tasks[pick(rng)].cancel();
      const int us = pause(rng);
      if (us < 20) coreio::yield_now();
      else coreio::sleep(std::chrono::microseconds(us));
    }
  });
  for (auto& t : producer_tasks) t.get();
  thread_producer.join();
  // Every item must be consumed without a further notify: a lost
  // notification would leave items here with consumers asleep.
  synctest::eventually([&] {
    std::lock_guard guard(cond);
    return items.empty();
  });
  stop = true;
  canceller.get();
  {
    std::lock_guard guard(cond);
    closed = true;
    cond.notify_all();
  }
  for (auto& t : consumer_tasks) synctest::finish_worker(t);
  int missing = 0;
  int doubled = 0;
  for (const auto& s : seen) {
    if (s.load() == 0) ++missing;
    if (s.load() > 1) ++doubled;
  }
  CHECK(missing == 0);
  CHECK(doubled == 0);
  CHECK_FALSE(cond.locked());
  MESSAGE("cancelled waits: ", cancelled_waits.load());
}

COREIO_TEST_CASE("Event: rounds of set and clear release every waiter of each round") {
  constexpr int rounds = 300;
  constexpr int waiters = 6;
  std::vector<coreio::Event> go(rounds);
  std::atomic<int> arrived{0};
  std::vector<coreio::Task<>> tasks;
  for (int w = 0; w < waiters; ++w) {
    tasks.push_back(coreio::create_task([&] {
      for (int r = 0; r < rounds; ++r) {
        go[static_cast<std::size_t>(r)].wait();
        arrived.fetch_add(1);
      }
    }));
  }
  synctest::Thread th([&] {
    for (int r = 0; r < rounds; ++r) {
      go[static_cast<std::size_t>(r)].wait();
      arrived.fetch_add(1);
    }
  });
  for (int r = 0; r < rounds; ++r) {
    if (r % 3 == 0) {
      // Set then clear releases those already waiting: wait until all are.
      synctest::eventually([&] { return synctest::Probe::waiters(go[static_cast<std::size_t>(r)]) == waiters + 1; });
      go[static_cast<std::size_t>(r)].set();
      go[static_cast<std::size_t>(r)].clear();
    } else {
      go[static_cast<std::size_t>(r)].set();
    }
    synctest::eventually([&] { return arrived.load() == (r + 1) * (waiters + 1); });
  }
  for (auto& t : tasks) t.get();
  th.join();
  CHECK(arrived.load() == rounds * (waiters + 1));
}

COREIO_TEST_CASE("Barrier: many rounds with parties on every loop and a plain thread") {
  constexpr int parties = 5;
  constexpr int rounds = 300;
  coreio::Barrier barrier(parties);
  std::vector<std::atomic<int>> arrivals(rounds);
  std::vector<std::atomic<int>> index_sum(rounds);
  std::atomic<int> early{0};
  auto party = [&] {
    for (int r = 0; r < rounds; ++r) {
      arrivals[static_cast<std::size_t>(r)].fetch_add(1);
      const std::size_t index = barrier.wait();
      index_sum[static_cast<std::size_t>(r)].fetch_add(static_cast<int>(index));
      if (arrivals[static_cast<std::size_t>(r)].load() != parties) early.fetch_add(1);
    }
  };
  synctest::Thread th(party);
  std::vector<coreio::Task<>> tasks;
  for (int i = 0; i < parties - 1; ++i) tasks.push_back(coreio::create_task(party));
  for (auto& t : tasks) t.get();
  th.join();
  CHECK(early.load() == 0);
  for (const auto& s : index_sum) CHECK(s.load() == 0 + 1 + 2 + 3 + 4);
  CHECK_FALSE(barrier.broken());
  CHECK(barrier.n_waiting() == 0);
}

} // TEST_SUITE
