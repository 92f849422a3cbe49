#include "coreio/as_completed.hpp" // self-contained header first

#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;
using coreio::CancelledError;

using coreio::testing::on_loop;

TEST_SUITE("as_completed") {

COREIO_TEST_CASE("yields the original tasks in completion order") {
  std::vector<coreio::Future<int>> fs(3);
  std::vector<coreio::Future<int>> order{fs[1], fs[2], fs[0]};
  auto setter = coreio::create_task(
      [&] {
        for (auto& f : order) {
          coreio::sleep(2ms);
          f.set_result(static_cast<int>(&f - order.data()));
        }
      },
      on_loop(1));
  std::vector<coreio::Future<int>> seen;
  for (auto& f : coreio::as_completed(fs)) {
    CHECK(f.done());
    seen.push_back(f);
  }
  setter.get();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == fs[1]);
  CHECK(seen[1] == fs[2]);
  CHECK(seen[2] == fs[0]);
  CHECK(seen[2].result() == 2);
}

COREIO_TEST_CASE("callables become tasks and their results arrive as they finish, across loops") {
  std::vector<std::function<int()>> work;
  for (int i = 0; i < 8; ++i)
    work.push_back([i] {
      coreio::sleep(std::chrono::milliseconds(8 - i));
      return i;
    });
  int sum = 0;
  std::size_t n = 0;
  for (auto& t : coreio::as_completed(work)) {
    sum += t.result();
    ++n;
  }
  CHECK(n == 8);
  CHECK(sum == 28);
}

COREIO_TEST_CASE("next() returns nullopt when every future was returned") {
  auto a = coreio::create_task([] { return 1; }, on_loop(1));
  std::vector<coreio::Task<int>> ts{a};
  auto it = coreio::as_completed(ts);
  CHECK(it.remaining() == 1);
  auto first = it.next();
  REQUIRE(first);
  CHECK(first->get() == 1);
  CHECK(it.remaining() == 0);
  CHECK_FALSE(it.next());
}

COREIO_TEST_CASE("a failed future is yielded like any other; its result() raises") {
  std::vector<coreio::Task<int>> ts{coreio::create_task([]() -> int { throw std::runtime_error("bad"); }, on_loop(1))};
  for (auto& t : coreio::as_completed(ts)) CHECK_THROWS_WITH_AS(t.result(), "bad", std::runtime_error);
}

COREIO_TEST_CASE("after the deadline each remaining next() raises TimeoutError and nothing is cancelled") {
  auto fast = coreio::create_task([] { coreio::sleep(1ms); return 1; }, on_loop(0));
  fast.wait(); // done before the deadline, whatever the load
  auto slow1 = coreio::create_task([] { coreio::sleep(10s); return 2; }, on_loop(1));
  auto slow2 = coreio::create_task([] { coreio::sleep(10s); return 3; }, on_loop(1));
  std::vector<coreio::Task<int>> ts{slow1, fast, slow2};
  auto it = coreio::as_completed(ts, {.timeout = 20ms});
  auto first = it.next();
  REQUIRE(first);
  CHECK(*first == fast);
  CHECK_THROWS_AS(it.next(), coreio::TimeoutError);
  CHECK_THROWS_AS(it.next(), coreio::TimeoutError);
  CHECK_FALSE(it.next());
  CHECK_FALSE(slow1.done());
  CHECK_FALSE(slow2.done());
  slow1.cancel();
  slow2.cancel();
}

COREIO_TEST_CASE("a range-for over an expired iterator ends with TimeoutError") {
  auto slow = coreio::create_task([] { coreio::sleep(10s); }, on_loop(1));
  std::vector<coreio::Task<void>> ts{slow};
  int iterations = 0;
  CHECK_THROWS_AS(
      [&] {
        for (auto& t : coreio::as_completed(ts, {.timeout = 5ms})) {
          (void)t;
          ++iterations;
        }
      }(),
      coreio::TimeoutError);
  CHECK(iterations == 0);
  slow.cancel();
}

COREIO_TEST_CASE("iteration can be resumed after a break") {
  std::vector<coreio::Task<int>> ts;
  for (int i = 0; i < 4; ++i)
    ts.push_back(coreio::create_task([i] { coreio::sleep(std::chrono::milliseconds(i)); return i; }, on_loop(std::size_t(i))));
  auto it = coreio::as_completed(ts);
  int got = 0;
  for (auto& t : it) {
    (void)t;
    if (++got == 2) break;
  }
  for (auto& t : it) {
    (void)t;
    ++got;
  }
  CHECK(got == 4);
}

COREIO_TEST_CASE("duplicates are yielded once") {
  auto t = coreio::create_task([] { return 5; });
  std::vector<coreio::Task<int>> ts{t, t};
  int n = 0;
  for (auto& f : coreio::as_completed(ts)) {
    CHECK(f.result() == 5);
    ++n;
  }
  CHECK(n == 1);
}

COREIO_TEST_CASE("a consumer cancelled in next() loses nothing: the next call returns the future") {
  coreio::Future<int> f;
  std::vector<coreio::Future<int>> fs{f};
  auto it = coreio::as_completed(fs);
  auto consumer = coreio::create_task([&] { (void)it.next(); });
  coreio::sleep(2ms);
  consumer.cancel();
  CHECK_THROWS_AS(consumer.get(), CancelledError);
  CHECK_FALSE(f.done()); // as_completed never cancels what it iterates
  f.set_result(8);
  auto got = it.next();
  REQUIRE(got);
  CHECK(got->result() == 8);
}

COREIO_TEST_CASE("an empty input yields nothing and needs no timer") {
  std::vector<coreio::Task<int>> none;
  int n = 0;
  for (auto& t : coreio::as_completed(none, {.timeout = 1ms})) {
    (void)t;
    ++n;
  }
  CHECK(n == 0);
}

COREIO_TEST_CASE("destroying the iterator early leaves the futures alone") {
  auto slow = coreio::create_task([] { coreio::sleep(3ms); return 1; }, on_loop(1));
  {
    std::vector<coreio::Task<int>> ts{slow};
    auto it = coreio::as_completed(ts, {.timeout = 1s});
    (void)it;
  }
  CHECK(slow.get() == 1);
}

} // TEST_SUITE
