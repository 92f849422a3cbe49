#include "coreio/sync/queue.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "../sync/sync_test_support.hpp"
#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

// Producers and consumers on every loop (and plain threads) pass numbered
// items through small queues while a canceller task keeps cancelling them at
// random. Workers swallow CancelledError and carry on, so every cancellation
// lands on some put()/get() (waiting, or woken and not yet run). The check:
// every item is delivered exactly once; a cancelled put() never enqueued its
// item (its retry would otherwise deliver it twice), a cancelled get() never
// lost one. Sizes are moderate: the suite also runs under TSan and ASan.

namespace {

using namespace std::chrono_literals;

constexpr int producer_tasks = 4;
constexpr int consumer_tasks = 4;
constexpr int items_per_producer = 1500;

struct Counters {
  std::atomic<int> started{0};
  std::atomic<int> cancelled_puts{0};
  std::atomic<int> cancelled_gets{0};
  std::atomic<int> cancels_sent{0};
};

/// Cancels a random worker every few microseconds until `stop`.
coreio::Task<> start_canceller(std::vector<coreio::TaskHandle>& victims, const std::atomic<bool>& stop,
                               Counters& counters) {
  return coreio::create_task([&victims, &stop, &counters] {
    std::mt19937 rng(12345);
    std::uniform_int_distribution<std::size_t> pick(0, victims.size() - 1);
    std::uniform_int_distribution<int> pause(0, 40);
    while (!stop.load()) {
      if (victims[pick(rng)].cancel("stress")) counters.cancels_sent.fetch_add(1);
      const int us = pause(rng);
      if (us < 10) coreio::yield_now();
      else coreio::sleep(std::chrono::microseconds(us));
    }
  });
}

void producer_body(coreio::Queue<int>& q, int first, int count, Counters& counters) {
  counters.started.fetch_add(1);
  for (int i = 0; i < count;) {
    try {
      q.put(first + i);
      ++i;
      if (i % 8 == 0) coreio::yield_now(); // keep an unbounded queue's run long enough to be cancelled
    } catch (const coreio::CancelledError&) {
      counters.cancelled_puts.fetch_add(1); // not enqueued: put it again
    }
  }
}

void consumer_body(coreio::Queue<int>& q, std::vector<std::atomic<int>>& seen, Counters& counters) {
  counters.started.fetch_add(1);
  for (;;) {
    try {
      const int v = q.get();
      seen[static_cast<std::size_t>(v)].fetch_add(1);
      q.task_done();
    } catch (const coreio::CancelledError&) {
      counters.cancelled_gets.fetch_add(1); // nothing taken: try again
    } catch (const coreio::QueueShutDown&) {
      return;
    }
  }
}

void exchange_exactly_once(coreio::Queue<int>& q) {
  const int producers = producer_tasks + 1; // + one plain thread
  const int total = producers * items_per_producer;
  std::vector<std::atomic<int>> seen(static_cast<std::size_t>(total));
  Counters counters;
  std::vector<coreio::Task<>> workers;
  std::vector<coreio::TaskHandle> victims;
  for (int p = 0; p < producer_tasks; ++p) {
    workers.push_back(coreio::create_task(
        [&, p] { producer_body(q, p * items_per_producer, items_per_producer, counters); }));
  }
  for (int c = 0; c < consumer_tasks; ++c)
    workers.push_back(coreio::create_task([&] { consumer_body(q, seen, counters); }));
  for (auto& w : workers) victims.push_back(w.handle());
  synctest::Thread thread_producer(
      [&] { producer_body(q, producer_tasks * items_per_producer, items_per_producer, counters); });
  synctest::Thread thread_consumer([&] { consumer_body(q, seen, counters); });

  // A task cancelled before it first runs never runs at all (asyncio): let
  // every worker (and both threads) start before the cancellations begin.
  synctest::eventually([&] { return counters.started.load() == producer_tasks + consumer_tasks + 2; });
  std::atomic<bool> stop{false};
  auto canceller = start_canceller(victims, stop, counters);
  for (int p = 0; p < producer_tasks; ++p) synctest::finish_worker(workers[static_cast<std::size_t>(p)]);
  thread_producer.join();
  q.join(); // every item taken and marked done
  stop = true;
  canceller.get();
  q.shutdown();
  for (auto& w : workers) synctest::finish_worker(w);
  thread_consumer.join();

  int missing = 0;
  int doubled = 0;
  for (const auto& s : seen) {
    if (s.load() == 0) ++missing;
    if (s.load() > 1) ++doubled;
  }
  CHECK(missing == 0);
  CHECK(doubled == 0);
  CHECK(q.qsize() == 0);
  MESSAGE("cancels sent: ", counters.cancels_sent.load(), ", cancelled puts: ", counters.cancelled_puts.load(),
          ", cancelled gets: ", counters.cancelled_gets.load());
}

} // namespace

TEST_SUITE("sync stress: Queue") {

COREIO_TEST_CASE("every item goes through a bounded Queue exactly once with cancellations injected") {
  coreio::Queue<int> q(4);
  exchange_exactly_once(q);
}

COREIO_TEST_CASE("every item goes through a bounded LifoQueue exactly once with cancellations injected") {
  coreio::LifoQueue<int> q(3);
  exchange_exactly_once(q);
}

COREIO_TEST_CASE("every item goes through a bounded PriorityQueue exactly once with cancellations injected") {
  coreio::PriorityQueue<int> q(2);
  exchange_exactly_once(q);
}

COREIO_TEST_CASE("every item goes through an unbounded Queue exactly once with cancellations injected") {
  coreio::Queue<int> q;
  exchange_exactly_once(q);
}

COREIO_TEST_CASE("a single cancelled-again-and-again consumer still sees each producer's items in order") {
  // FIFO survives cancellation: a getter cancelled after being handed an item
  // puts it back at the head, and a cancelled put never enqueued its item.
  constexpr int producers = 3;
  constexpr int per = 1500;
  coreio::Queue<int> q(2);
  Counters counters;
  std::vector<coreio::Task<>> tasks;
  for (int p = 0; p < producers; ++p)
    tasks.push_back(coreio::create_task([&, p] { producer_body(q, p * per, per, counters); }));
  // The verdict goes through a variable, not the task's result: a cancel
  // after the consumer's last get() would end the task cancelled and drop a
  // returned value (asyncio's test_cancel_at_end).
  std::atomic<bool> in_order{true};
  auto consumer = coreio::create_task([&] {
    counters.started.fetch_add(1);
    std::vector<int> last(producers, -1);
    int received = 0;
    while (received < producers * per) {
      try {
        const int v = q.get();
        const int p = v / per;
        if (v <= last[static_cast<std::size_t>(p)]) in_order = false;
        last[static_cast<std::size_t>(p)] = v;
        ++received;
      } catch (const coreio::CancelledError&) {
        counters.cancelled_gets.fetch_add(1);
      }
    }
  });
  std::vector<coreio::TaskHandle> victims;
  for (auto& t : tasks) victims.push_back(t.handle());
  victims.push_back(consumer.handle());
  synctest::eventually([&] { return counters.started.load() == producers + 1; });
  std::atomic<bool> stop{false};
  auto canceller = start_canceller(victims, stop, counters);
  for (auto& t : tasks) synctest::finish_worker(t);
  synctest::finish_worker(consumer);
  CHECK(in_order.load());
  stop = true;
  canceller.get();
  CHECK(q.empty());
  MESSAGE("cancelled gets: ", counters.cancelled_gets.load(), ", cancelled puts: ", counters.cancelled_puts.load());
}

COREIO_TEST_CASE("pingpong through two Queue(maxsize=1) across loops returns every token") {
  coreio::Queue<int> to_pong(1);
  coreio::Queue<int> to_ping(1);
  constexpr int rounds = 20000;
  auto pong = coreio::create_task([&] {
    for (int i = 0; i < rounds; ++i) to_ping.put(to_pong.get());
  });
  for (int i = 0; i < rounds; ++i) {
    to_pong.put(i);
    REQUIRE(to_ping.get() == i);
  }
  pong.get();
}

} // TEST_SUITE
