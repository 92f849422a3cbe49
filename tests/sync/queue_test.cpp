#include "coreio/sync/queue.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "sync_test_support.hpp"

using namespace std::chrono_literals;
using synctest::eventually;
using synctest::on_one_loop;
using synctest::Probe;
using synctest::spawn_here;

TEST_SUITE("Queue") {

COREIO_TEST_CASE("a new queue is empty and reports maxsize, qsize, empty and full") {
  coreio::Queue<int> q(2);
  CHECK(q.maxsize() == 2);
  CHECK(q.qsize() == 0);
  CHECK(q.empty());
  CHECK_FALSE(q.full());
  q.put_nowait(1);
  CHECK(q.qsize() == 1);
  CHECK_FALSE(q.empty());
  CHECK_FALSE(q.full());
  q.put(2);
  CHECK(q.qsize() == 2);
  CHECK(q.full());
}

COREIO_TEST_CASE("a queue with maxsize <= 0 is unbounded and never full") {
  for (std::int64_t maxsize : {0, -1}) {
    coreio::Queue<int> q(maxsize);
    CHECK(q.maxsize() == maxsize);
    for (int i = 0; i < 1000; ++i) q.put_nowait(i);
    CHECK(q.qsize() == 1000);
    CHECK_FALSE(q.full());
  }
}

COREIO_TEST_CASE("put_nowait on a full queue raises QueueFull and get_nowait on an empty one QueueEmpty") {
  coreio::Queue<int> q(1);
  CHECK_THROWS_AS(q.get_nowait(), coreio::QueueEmpty);
  q.put_nowait(1);
  CHECK_THROWS_AS(q.put_nowait(2), coreio::QueueFull);
  CHECK(q.get_nowait() == 1);
  CHECK_THROWS_AS(q.get_nowait(), coreio::QueueEmpty);
}

COREIO_TEST_CASE("try_put and try_get report a status, never throw for it, and keep a refused item") {
  coreio::Queue<std::unique_ptr<int>> q(1);
  auto none = q.try_get();
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error() == coreio::QueueStatus::empty);
  auto first = std::make_unique<int>(1);
  CHECK(q.try_put(std::move(first)) == coreio::QueueStatus::ok);
  CHECK(first == nullptr);
  auto second = std::make_unique<int>(2);
  CHECK(q.try_put(std::move(second)) == coreio::QueueStatus::full);
  REQUIRE(second != nullptr); // refused: still ours
  CHECK(*second == 2);
  auto got = q.try_get();
  REQUIRE(got.has_value());
  CHECK(**got == 1);
  q.shutdown();
  CHECK(q.try_put(std::move(second)) == coreio::QueueStatus::shut_down);
  CHECK(second != nullptr);
  CHECK(q.try_get().error() == coreio::QueueStatus::shut_down);

  coreio::Queue<std::string> copies(1);
  const std::string hello = "hello";
  CHECK(copies.try_put(hello) == coreio::QueueStatus::ok);
  CHECK(copies.try_put(hello) == coreio::QueueStatus::full);
  CHECK(copies.get_nowait() == "hello");
}

COREIO_TEST_CASE("items come out in FIFO order") {
  coreio::Queue<int> q;
  for (int i = 0; i < 10; ++i) q.put(i);
  for (int i = 0; i < 10; ++i) CHECK(q.get() == i);
}

COREIO_TEST_CASE("get waits for a put, and put on a full queue waits for a get") {
  coreio::Queue<int> q(1);
  auto getter = coreio::create_task([&] { return q.get(); });
  eventually([&] { return Probe::getters(q) == 1; });
  q.put(5);
  CHECK(getter.get() == 5);

  q.put(1);
  auto putter = coreio::create_task([&] { q.put(2); });
  eventually([&] { return Probe::putters(q) == 1; });
  CHECK(q.full());
  CHECK(q.get() == 1);
  putter.get();
  CHECK(q.get() == 2);
  CHECK(q.empty());
}

COREIO_TEST_CASE("getters on different loops and threads are served in the order they queued") {
  coreio::Queue<int> q;
  std::vector<coreio::Task<int>> tasks;
  int thread_got = -1;
  std::unique_ptr<synctest::Thread> th;
  for (int i = 0; i < 5; ++i) {
    if (i == 2) th = std::make_unique<synctest::Thread>([&] { thread_got = q.get(); });
    else tasks.push_back(coreio::create_task([&] { return q.get(); }));
    eventually([&] { return Probe::getters(q) == static_cast<std::size_t>(i + 1); });
  }
  for (int i = 0; i < 5; ++i) q.put(i);
  std::vector<int> got;
  for (auto& t : tasks) got.push_back(t.get());
  th->join();
  CHECK(got == std::vector<int>{0, 1, 3, 4});
  CHECK(thread_got == 2);
}

COREIO_TEST_CASE("putters are served in the order they queued") {
  coreio::Queue<int> q(1);
  q.put(0);
  std::vector<coreio::Task<>> tasks;
  for (int i = 1; i <= 4; ++i) {
    tasks.push_back(coreio::create_task([&, i] { q.put(i); }));
    eventually([&] { return Probe::putters(q) == static_cast<std::size_t>(i); });
  }
  std::vector<int> got;
  for (int i = 0; i <= 4; ++i) got.push_back(q.get());
  for (auto& t : tasks) t.get();
  CHECK(got == std::vector<int>{0, 1, 2, 3, 4});
}

COREIO_TEST_CASE("move-only items pass through put/get and put_nowait/get_nowait") {
  coreio::Queue<std::unique_ptr<std::string>> q(2);
  q.put(std::make_unique<std::string>("a"));
  q.put_nowait(std::make_unique<std::string>("b"));
  auto consumer = coreio::create_task([&] {
    std::vector<std::string> got;
    for (int i = 0; i < 4; ++i) got.push_back(*q.get());
    return got;
  });
  q.put(std::make_unique<std::string>("c"));
  q.put(std::make_unique<std::string>("d"));
  CHECK(consumer.get() == std::vector<std::string>{"a", "b", "c", "d"});
  q.put_nowait(std::make_unique<std::string>("e"));
  CHECK(*q.get_nowait() == "e");
}

COREIO_TEST_CASE("an item handed to a woken getter still counts in qsize and against maxsize until it runs") {
  on_one_loop([] {
    coreio::Queue<int> q(1);
    auto getter = spawn_here([&] { return q.get(); });
    eventually([&] { return Probe::getters(q) == 1; });
    q.put_nowait(7); // handed to the getter, which has not run yet
    CHECK(q.qsize() == 1);
    CHECK(q.full());
    CHECK_FALSE(q.empty());
    CHECK_THROWS_AS(q.put_nowait(8), coreio::QueueFull);
    CHECK_THROWS_AS(q.get_nowait(), coreio::QueueEmpty); // reserved for the getter
    CHECK(getter.get() == 7);
    CHECK(q.qsize() == 0);
    CHECK_FALSE(q.full());
  });
}

COREIO_TEST_CASE("task_done called too often raises ValueError; join waits until every item is done") {
  coreio::Queue<int> q;
  CHECK_THROWS_WITH_AS(q.task_done(), "task_done() called too many times", coreio::ValueError);
  q.join(); // nothing unfinished: returns at once
  for (int i = 0; i < 3; ++i) q.put(i);
  std::atomic<bool> joined{false};
  auto joiner = coreio::create_task([&] {
    q.join();
    joined = true;
  });
  eventually([&] { return Probe::joiners(q) == 1; });
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(joined.load());
    q.get();
    q.task_done();
  }
  joiner.get();
  CHECK(joined.load());
  CHECK_THROWS_AS(q.task_done(), coreio::ValueError);
}

COREIO_TEST_CASE("a cancelled join raises CancelledError and leaves the queue usable") {
  coreio::Queue<int> q;
  q.put(1);
  auto joiner = coreio::create_task([&] { q.join(); });
  eventually([&] { return Probe::joiners(q) == 1; });
  joiner.cancel();
  CHECK_THROWS_AS(joiner.get(), coreio::CancelledError);
  CHECK(Probe::joiners(q) == 0);
  CHECK(q.get() == 1);
  q.task_done();
  q.join();
}

COREIO_TEST_CASE("a getter cancelled after being handed an item puts it back at the head (test_get_cancel_drop_one_pending_reader)") {
  on_one_loop([] {
    coreio::Queue<int> q;
    auto reader = spawn_here([&] { return q.get(); });
    eventually([&] { return Probe::getters(q) == 1; });
    q.put_nowait(1); // handed to the reader
    q.put_nowait(2);
    reader.cancel(); // before the reader runs
    CHECK_THROWS_AS(reader.get(), coreio::CancelledError);
    // If we got 2, 1 was dropped.
    auto again = spawn_here([&] { return q.get(); });
    CHECK(again.get() == 1);
    CHECK(q.get_nowait() == 2);
  });
}

COREIO_TEST_CASE("a cancelled getter hands its item to the next getter (test_get_cancel_drop_many_pending_readers)") {
  on_one_loop([] {
    coreio::Queue<int> q;
    auto r1 = spawn_here([&] { return q.get(); });
    auto r2 = spawn_here([&] { return q.get(); });
    auto r3 = spawn_here([&] { return q.get(); });
    eventually([&] { return Probe::getters(q) == 3; });
    q.put_nowait(1);
    q.put_nowait(2);
    r1.cancel();
    CHECK_THROWS_AS(r1.get(), coreio::CancelledError);
    const std::set<int> got{r2.get(), r3.get()};
    CHECK(got == std::set<int>{1, 2});
    CHECK(q.empty());
  });
}

COREIO_TEST_CASE("a putter granted a slot and cancelled before it runs does not enqueue its item (test_put_cancel_drop)") {
  on_one_loop([] {
    coreio::Queue<int> q(1);
    q.put_nowait(1);
    auto writer = spawn_here([&] { q.put(2); });
    eventually([&] { return Probe::putters(q) == 1; });
    CHECK(q.get_nowait() == 1); // grants the free slot to the writer
    writer.cancel();            // before it runs
    CHECK_THROWS_AS(writer.get(), coreio::CancelledError);
    CHECK(q.qsize() == 0);
    auto retry = spawn_here([&] { q.put(2); });
    retry.get();
    CHECK(q.get_nowait() == 2);
    CHECK(q.qsize() == 0);
  });
}

COREIO_TEST_CASE("a putter granted a slot and cancelled passes the slot to the next putter") {
  on_one_loop([] {
    coreio::Queue<int> q(1);
    q.put_nowait(0);
    auto p1 = spawn_here([&] { q.put(1); });
    auto p2 = spawn_here([&] { q.put(2); });
    eventually([&] { return Probe::putters(q) == 2; });
    CHECK(q.get_nowait() == 0); // slot granted to p1
    p1.cancel();
    CHECK_THROWS_AS(p1.get(), coreio::CancelledError);
    p2.get();
    CHECK(q.get_nowait() == 2);
    CHECK(q.empty());
  });
}

COREIO_TEST_CASE("a waiting putter that is cancelled does not enqueue its item") {
  coreio::Queue<int> q(1);
  q.put(1);
  auto putter = coreio::create_task([&] { q.put(2); });
  eventually([&] { return Probe::putters(q) == 1; });
  putter.cancel();
  CHECK_THROWS_AS(putter.get(), coreio::CancelledError);
  CHECK(q.qsize() == 1);
  CHECK(q.get() == 1);
  CHECK(q.empty());
}

COREIO_TEST_CASE("shutdown makes put raise QueueShutDown and wakes blocked putters") {
  coreio::Queue<int> q(1);
  q.put(1);
  auto putter = coreio::create_task([&] { q.put(2); });
  eventually([&] { return Probe::putters(q) == 1; });
  q.shutdown();
  CHECK_THROWS_AS(putter.get(), coreio::QueueShutDown);
  CHECK_THROWS_AS(q.put(3), coreio::QueueShutDown);
  CHECK_THROWS_AS(q.put_nowait(3), coreio::QueueShutDown);
  // Remaining items can still be taken, then get raises.
  CHECK(q.get() == 1);
  CHECK_THROWS_AS(q.get(), coreio::QueueShutDown);
  CHECK_THROWS_AS(q.get_nowait(), coreio::QueueShutDown);
  q.task_done(); // still works for the item taken
  q.join();
}

COREIO_TEST_CASE("shutdown wakes blocked getters with QueueShutDown") {
  coreio::Queue<int> q;
  auto a = coreio::create_task([&] { return q.get(); });
  auto b = coreio::create_task([&] { return q.get(); });
  synctest::Thread th([&] { CHECK_THROWS_AS(q.get(), coreio::QueueShutDown); });
  eventually([&] { return Probe::getters(q) == 3; });
  q.shutdown();
  CHECK_THROWS_AS(a.get(), coreio::QueueShutDown);
  CHECK_THROWS_AS(b.get(), coreio::QueueShutDown);
  th.join();
  q.shutdown(); // idempotent
}

COREIO_TEST_CASE("shutdown(immediate) drops the items, releases join and makes get raise at once") {
  coreio::Queue<int> q;
  for (int i = 0; i < 3; ++i) q.put(i);
  CHECK(q.get() == 0); // taken, not yet done
  auto joiner = coreio::create_task([&] { q.join(); });
  eventually([&] { return Probe::joiners(q) == 1; });
  q.shutdown(true);
  CHECK(q.qsize() == 0);
  CHECK_THROWS_AS(q.get(), coreio::QueueShutDown);
  CHECK_FALSE(joiner.done()); // one item still unfinished
  q.task_done();
  joiner.get();
}

COREIO_TEST_CASE("shutdown(immediate) drops an item already handed to a woken getter") {
  on_one_loop([] {
    coreio::Queue<int> q;
    auto getter = spawn_here([&] { return q.get(); });
    eventually([&] { return Probe::getters(q) == 1; });
    q.put_nowait(1); // handed over, the getter has not run
    q.shutdown(true);
    q.shutdown(true); // counted once
    CHECK_THROWS_AS(getter.get(), coreio::QueueShutDown);
    CHECK(q.qsize() == 0);
    q.join(); // the dropped item counted as done
  });
}

COREIO_TEST_CASE("shutdown without immediate lets a woken getter keep its item") {
  on_one_loop([] {
    coreio::Queue<int> q;
    auto getter = spawn_here([&] { return q.get(); });
    eventually([&] { return Probe::getters(q) == 1; });
    q.put_nowait(1);
    q.shutdown();
    CHECK(getter.get() == 1);
  });
}

COREIO_TEST_CASE("get in a loop callback raises RuntimeError on an empty queue and works on a non-empty one") {
  coreio::Queue<int> q;
  auto& loop = coreio::get_running_loop();
  auto result = loop.create_future<std::string>();
  loop.call_soon([&] {
    try {
      q.get();
      result.set_result("returned");
    } catch (const coreio::RuntimeError&) {
      result.set_result("RuntimeError");
    }
  });
  CHECK(result.get() == "RuntimeError");
  CHECK(Probe::getters(q) == 0);
  q.put(4);
  auto got = loop.create_future<int>();
  loop.call_soon([&] { got.set_result(q.get()); });
  CHECK(got.get() == 4);
}

COREIO_TEST_CASE("a plain OS thread and a task exchange items both ways") {
  coreio::Queue<int> to_thread(1);
  coreio::Queue<int> to_task(1);
  synctest::Thread th([&] {
    for (int i = 0; i < 200; ++i) to_task.put(to_thread.get() + 1);
  });
  for (int i = 0; i < 200; ++i) {
    to_thread.put(i);
    CHECK(to_task.get() == i + 1);
  }
  th.join();
}

COREIO_TEST_CASE("PriorityQueue pops the smallest item first, or the first under a custom Compare") {
  coreio::PriorityQueue<std::pair<int, std::string>> q;
  q.put({3, "c"});
  q.put({1, "a"});
  q.put({2, "b"});
  q.put_nowait({0, "z"});
  CHECK(q.get().second == "z");
  CHECK(q.get().second == "a");
  CHECK(q.get().second == "b");
  CHECK(q.get_nowait().second == "c");

  coreio::PriorityQueue<int, std::greater<int>> largest;
  for (int v : {4, 9, 1, 7}) largest.put(v);
  std::vector<int> got;
  while (!largest.empty()) got.push_back(largest.get());
  CHECK(got == std::vector<int>{9, 7, 4, 1});

  coreio::PriorityQueue<std::unique_ptr<int>, std::function<bool(const std::unique_ptr<int>&, const std::unique_ptr<int>&)>>
      owned(0, [](const auto& a, const auto& b) { return *a < *b; });
  for (int v : {5, 2, 8}) owned.put(std::make_unique<int>(v));
  CHECK(*owned.get() == 2);
  CHECK(*owned.get() == 5);
  CHECK(*owned.get() == 8);
}

COREIO_TEST_CASE("LifoQueue pops the most recent item first") {
  coreio::LifoQueue<int> q(3);
  for (int i = 0; i < 3; ++i) q.put(i);
  CHECK(q.full());
  CHECK(q.get() == 2);
  q.put(3);
  CHECK(q.get() == 3);
  CHECK(q.get() == 1);
  CHECK(q.get_nowait() == 0);
}

COREIO_TEST_CASE("priority and LIFO queues work through a Queue<T>& and keep cancelled getters' items in order") {
  auto drain = [](coreio::Queue<int>& q) {
    std::vector<int> out;
    while (auto v = q.try_get()) out.push_back(*v);
    return out;
  };
  auto scenario = [&](coreio::Queue<int>& q) {
    return on_one_loop([&] {
      auto reader = spawn_here([&] { return q.get(); });
      eventually([&] { return Probe::getters(q) == 1; });
      q.put_nowait(5); // handed to the reader
      q.put_nowait(9);
      q.put_nowait(1);
      reader.cancel(); // 5 comes back
      CHECK_THROWS_AS(reader.get(), coreio::CancelledError);
      return drain(q);
    });
  };
  coreio::Queue<int> fifo;
  coreio::LifoQueue<int> lifo;
  coreio::PriorityQueue<int> prio;
  CHECK(scenario(fifo) == std::vector<int>{5, 9, 1});
  CHECK(scenario(lifo) == std::vector<int>{1, 9, 5});
  CHECK(scenario(prio) == std::vector<int>{1, 5, 9});
}

COREIO_TEST_CASE("producer/consumer with maxsize (seed): every item is processed once and join returns after all") {
  // Seed 001 section 4.2: a producer puts 10 items into Queue(maxsize=5), two
  // consumers process them; None (here nullopt) ends a consumer, which passes
  // it on; main joins the queue.
  coreio::Queue<std::optional<std::string>> queue(5);
  std::mutex mu;
  std::vector<std::string> processed;
  auto producer = coreio::create_task([&] {
    for (int i = 0; i < 10; ++i) {
      coreio::sleep(std::chrono::microseconds(100 * (i % 3)));
      queue.put("item-" + std::to_string(i));
    }
    queue.put(std::nullopt);
  });
  std::vector<coreio::Task<int>> consumers;
  for (int id = 0; id < 2; ++id) {
    consumers.push_back(coreio::create_task([&] {
      int count = 0;
      for (;;) {
        std::optional<std::string> item = queue.get();
        if (!item) {
          queue.task_done();
          queue.put(std::nullopt); // pass the end signal on
          return count;
        }
        coreio::sleep(std::chrono::microseconds(200));
        {
          std::lock_guard g(mu);
          processed.push_back(*item);
        }
        ++count;
        queue.task_done();
      }
    }));
  }
  producer.get();
  queue.join();
  {
    std::lock_guard g(mu);
    CHECK(processed.size() == 10);
    std::vector<std::string> sorted = processed;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::string> expected;
    for (int i = 0; i < 10; ++i) expected.push_back("item-" + std::to_string(i));
    std::sort(expected.begin(), expected.end());
    CHECK(sorted == expected);
  }
  int total = 0;
  for (auto& c : consumers) total += c.get();
  CHECK(total == 10);
}

COREIO_TEST_CASE("consumers and a joining producer (seed): the output is fixed on one loop") {
  // Seed 003 section 5.2.1: three consumers, one producer putting 5 items and
  // then joining the queue; each consumer ends when it finds the queue empty.
  on_one_loop([] {
    coreio::Queue<int> queue;
    synctest::Output out;
    auto consumer = [&](const std::string& name) {
      out.print("Consumer " + name + " starting");
      for (;;) {
        const int item = queue.get();
        out.print("Consumer " + name + " has item " + std::to_string(item));
        coreio::sleep(std::chrono::milliseconds(1 * item));
        out.print("Consumer " + name + " mark item " + std::to_string(item) + " as done");
        queue.task_done();
        if (queue.empty()) {
          out.print("Consumer " + name + " ending");
          return;
        }
      }
    };
    auto producer = [&] {
      out.print("Producer starting");
      for (int i = 0; i < 3; ++i) {
        coreio::sleep(10ms);
        queue.put(i);
        out.print("Producer put item " + std::to_string(i) + " to the queue");
      }
      out.print("Producer waiting for queued items to be done.");
      queue.join();
      out.print("Producer ending");
    };
    std::vector<coreio::Task<>> tasks;
    for (const char* name : {"a", "b", "c"}) tasks.push_back(spawn_here([&, n = std::string(name)] { consumer(n); }));
    tasks.push_back(spawn_here(producer));
    for (auto& t : tasks) t.get();
    const std::vector<std::string> expected = {
        "Consumer a starting",
        "Consumer b starting",
        "Consumer c starting",
        "Producer starting",
        "Producer put item 0 to the queue",
        "Consumer a has item 0",
        "Consumer a mark item 0 as done",
        "Consumer a ending",
        "Producer put item 1 to the queue",
        "Consumer b has item 1",
        "Consumer b mark item 1 as done",
        "Consumer b ending",
        "Producer put item 2 to the queue",
        "Producer waiting for queued items to be done.",
        "Consumer c has item 2",
        "Consumer c mark item 2 as done",
        "Consumer c ending",
        "Producer ending",
    };
    CHECK(out.lines() == expected);
  });
}

} // TEST_SUITE
