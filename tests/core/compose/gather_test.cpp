#include "coreio/gather.hpp" // self-contained header first

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <variant>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;
using coreio::CancelledError;

using coreio::testing::on_loop;
using coreio::testing::until;

TEST_SUITE("gather") {

COREIO_TEST_CASE("results come back in argument order, not completion order") {
  auto slow = coreio::create_task([] { coreio::sleep(6ms); return 1; }, on_loop(0));
  auto fast = coreio::create_task([] { coreio::sleep(1ms); return std::string("two"); }, on_loop(1));
  auto [a, b, c] = coreio::gather(slow, fast, [] { return 3.5; });
  CHECK(a == 1);
  CHECK(b == "two");
  CHECK(c == 3.5);
}

COREIO_TEST_CASE("void children give std::monostate") {
  std::atomic<int> ran{0};
  auto [x, y] = coreio::gather([&] { ++ran; }, [&] { coreio::sleep(1ms); return 7; });
  CHECK(std::is_same_v<decltype(x), std::monostate>);
  CHECK(y == 7);
  CHECK(ran.load() == 1);
}

COREIO_TEST_CASE("the range form returns a vector in range order with children on every loop") {
  std::vector<coreio::Task<int>> tasks;
  for (int i = 0; i < 12; ++i)
    tasks.push_back(coreio::create_task([i] { coreio::sleep(std::chrono::milliseconds((12 - i) % 4)); return i * i; },
                                        on_loop(static_cast<std::size_t>(i))));
  std::vector<int> out = coreio::gather(tasks);
  REQUIRE(out.size() == 12);
  for (int i = 0; i < 12; ++i) CHECK(out[static_cast<std::size_t>(i)] == i * i);
  CHECK(tasks[3].result() == 9); // copied, not moved: the task still has its result
}

COREIO_TEST_CASE("gather with no children returns at once") {
  auto empty = coreio::gather();
  CHECK(std::tuple_size_v<decltype(empty)> == 0);
  CHECK(coreio::gather(std::vector<coreio::Task<int>>{}).empty());
}

COREIO_TEST_CASE("a future passed twice is awaited once and its result appears twice") {
  coreio::Future<int> f;
  auto setter = coreio::create_task([&] { coreio::sleep(1ms); f.set_result(5); }, on_loop(1));
  auto [a, b] = coreio::gather(f, f);
  CHECK(a == 5);
  CHECK(b == 5);
  std::vector<coreio::Future<int>> twice{f, f};
  CHECK(coreio::gather(std::move(twice)) == std::vector<int>{5, 5});
  setter.get();
}

COREIO_TEST_CASE("move-only results are moved out of tasks gather created") {
  auto [p, q] = coreio::gather([] { return std::make_unique<int>(4); }, [] { return std::make_unique<int>(2); });
  CHECK(*p + *q == 6);
  std::vector<coreio::Task<std::unique_ptr<int>>> tasks;
  tasks.push_back(coreio::create_task([] { return std::make_unique<int>(9); }));
  auto v = coreio::gather(std::move(tasks));
  CHECK(*v.at(0) == 9);
}

COREIO_TEST_CASE("the first exception propagates at once and the other children keep running") {
  std::atomic<bool> other_finished{false};
  coreio::Future<void> gate;
  auto slow = coreio::create_task(
      [&] {
        gate.get();
        other_finished = true;
        return 1;
      },
      on_loop(1));
  CHECK_THROWS_WITH_AS(coreio::gather(slow, [] {
                         coreio::sleep(1ms);
                         throw std::runtime_error("boom");
                       }),
                       "boom", std::runtime_error);
  CHECK_FALSE(slow.done()); // not cancelled, still running
  gate.set_result();
  CHECK(slow.get() == 1);
  CHECK(other_finished.load());
}

COREIO_TEST_CASE("a child cancelled on its own raises CancelledError from gather, siblings keep running") {
  auto victim = coreio::create_task([] { coreio::sleep(10s); return 0; }, on_loop(1));
  auto sibling = coreio::create_task([] { coreio::sleep(5ms); return 2; }, on_loop(0));
  auto g = coreio::create_task([&] { return coreio::gather(victim, sibling); });
  coreio::sleep(1ms);
  victim.cancel("victim only");
  // The gathering future fails with the child's CancelledError (it is not
  // cancelled itself, asyncio's test_one_cancellation); the task awaiting it
  // lets that CancelledError escape, so the task ends cancelled, as in asyncio.
  CHECK_THROWS_AS(g.get(), CancelledError);
  CHECK(sibling.get() == 2);
  CHECK_FALSE(sibling.cancelled());
}

COREIO_TEST_CASE("return_exceptions collects values, exceptions and cancellations") {
  auto victim = coreio::create_task([] { coreio::sleep(10s); return 0; }, on_loop(1));
  auto canceller = coreio::create_task([&] {
    coreio::sleep(1ms);
    victim.cancel("stop");
  });
  auto [ok, bad, cancelled, nothing] = coreio::gather(
      coreio::return_exceptions, [] { return 1; },
      []() -> int {
        coreio::sleep(2ms);
        throw std::logic_error("bad");
      },
      victim, [] {});
  canceller.get();
  CHECK(ok.has_value());
  CHECK(ok.value() == 1);
  CHECK_FALSE(bad.has_value());
  CHECK(bad.holds<std::logic_error>());
  CHECK_THROWS_WITH_AS(bad.value(), "bad", std::logic_error);
  CHECK(cancelled.cancelled());
  REQUIRE(cancelled.get_if<CancelledError>() != nullptr);
  CHECK(cancelled.get_if<CancelledError>()->message() == "stop");
  CHECK(nothing.has_value());
}

COREIO_TEST_CASE("return_exceptions over a range keeps every outcome in order") {
  std::vector<coreio::Task<int>> tasks;
  for (int i = 0; i < 6; ++i)
    tasks.push_back(coreio::create_task(
        [i] {
          coreio::sleep(1ms);
          if (i % 2) throw std::runtime_error(std::to_string(i));
          return i;
        },
        on_loop(static_cast<std::size_t>(i))));
  auto out = coreio::gather(coreio::return_exceptions, tasks);
  REQUIRE(out.size() == 6);
  for (int i = 0; i < 6; ++i) {
    const auto& r = out[static_cast<std::size_t>(i)];
    CHECK(r.has_value() == (i % 2 == 0));
    if (r) CHECK(r.value() == i);
    else CHECK_THROWS_WITH(std::rethrow_exception(r.exception()), std::to_string(i).c_str());
  }
}

COREIO_TEST_CASE("cancelling the gathering task cancels every child on every loop") {
  std::atomic<int> started{0};
  std::atomic<int> cancelled{0};
  std::vector<coreio::Task<void>> children;
  for (std::size_t i = 0; i < 6; ++i)
    children.push_back(coreio::create_task(
        [&] {
          ++started;
          try {
            coreio::sleep(10s);
          } catch (const CancelledError&) {
            ++cancelled;
            throw;
          }
        },
        on_loop(i)));
  std::atomic<bool> gathering{false};
  auto g = coreio::create_task([&] {
    gathering = true;
    coreio::gather(children);
  });
  until([&] { return started.load() == 6 && gathering.load(); });
  CHECK(g.cancel("shutdown"));
  try {
    g.get();
    FAIL("gather was not cancelled");
  } catch (const CancelledError& e) {
    CHECK(e.message() == "shutdown"); // asyncio's test_cancel_gather_2: the message is propagated
  }
  for (auto& c : children) {
    c.wait();
    CHECK(c.cancelled());
  }
  CHECK(cancelled.load() == 6);
}

COREIO_TEST_CASE("with return_exceptions a cancelled gather waits for all children, then raises CancelledError") {
  std::atomic<int> started{0};
  std::atomic<bool> slow_done{false};
  auto slow_to_stop = coreio::create_task(
      [&] {
        ++started;
        try {
          coreio::sleep(10s);
        } catch (const CancelledError&) {
          coreio::sleep(5ms); // takes a while to wind down
          slow_done = true;
          throw;
        }
      },
      on_loop(1));
  auto quick = coreio::create_task([] { coreio::sleep(10s); }, on_loop(0));
  auto g = coreio::create_task([&] {
    ++started;
    return coreio::gather(coreio::return_exceptions, slow_to_stop, quick);
  });
  until([&] { return started.load() == 2; });
  g.cancel();
  CHECK_THROWS_AS(g.get(), CancelledError);
  CHECK(slow_done.load()); // bpo-32684: it waited for every child
  CHECK(slow_to_stop.cancelled());
  CHECK(quick.cancelled());
}

COREIO_TEST_CASE("a child that ignores the cancellation lets the cancelled gather still end in CancelledError") {
  std::atomic<int> started{0};
  auto ignorer = coreio::create_task(
      [&] {
        ++started;
        try {
          coreio::sleep(10s);
        } catch (const CancelledError&) {
          return 42; // swallows it
        }
        return 0;
      },
      on_loop(1));
  auto g = coreio::create_task([&] {
    ++started;
    return std::get<0>(coreio::gather(coreio::return_exceptions, ignorer)).value();
  });
  until([&] { return started.load() == 2; });
  g.cancel();
  CHECK_THROWS_AS(g.get(), CancelledError);
  CHECK(ignorer.get() == 42);
}

COREIO_TEST_CASE("a cancel pending before gather blocks still cancels the children") {
  // asyncio's Task.__step hands a pending cancel to the future it starts to
  // await: here the gathering future, which cancels its children.
  coreio::Task<void> child;
  auto g = coreio::create_task([&] {
    child = coreio::create_task([] { coreio::sleep(10s); }, on_loop(1));
    coreio::current_task().cancel();
    coreio::gather(child);
  });
  CHECK_THROWS_AS(g.get(), CancelledError);
  child.wait();
  CHECK(child.cancelled());
}

COREIO_TEST_CASE("thousands of children spread over the loops are gathered in order") {
  std::vector<coreio::Task<std::size_t>> tasks;
  for (std::size_t i = 0; i < 3000; ++i)
    tasks.push_back(coreio::create_task(
        [i] {
          coreio::yield_now();
          return i;
        },
        on_loop(i)));
  const std::vector<std::size_t> out = coreio::gather(std::move(tasks));
  REQUIRE(out.size() == 3000);
  for (std::size_t i = 0; i < out.size(); ++i) CHECK(out[i] == i);
}

COREIO_TEST_CASE("gather works from a plain OS thread by blocking it") {
  auto a = coreio::create_task([] { coreio::sleep(1ms); return 1; }, on_loop(0));
  auto b = coreio::create_task([] { coreio::sleep(1ms); return 2; }, on_loop(1));
  int sum = 0;
  std::thread th([&] {
    auto [x, y] = coreio::gather(a, b);
    sum = x + y;
  });
  coreio::to_thread([&] { th.join(); });
  CHECK(sum == 3);
}

} // TEST_SUITE
