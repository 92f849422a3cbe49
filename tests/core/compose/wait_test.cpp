#include "coreio/wait.hpp" // self-contained header first

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;
using coreio::CancelledError;

using coreio::testing::on_loop;

namespace {

coreio::Task<int> sleeper(std::chrono::milliseconds d, int v, std::size_t loop) {
  return coreio::create_task(
      [d, v] {
        coreio::sleep(d);
        return v;
      },
      on_loop(loop));
}

template <class Fut>
bool contains(const std::vector<Fut>& v, const Fut& f) {
  return std::find(v.begin(), v.end(), f) != v.end();
}

} // namespace

TEST_SUITE("wait") {

COREIO_TEST_CASE("ALL_COMPLETED waits for every future on every loop") {
  std::vector<coreio::Task<int>> ts{sleeper(3ms, 1, 0), sleeper(1ms, 2, 1), sleeper(2ms, 3, 2)};
  auto [done, pending] = coreio::wait(ts);
  CHECK(done.size() == 3);
  CHECK(pending.empty());
  for (auto& t : ts) CHECK(t.done());
  CHECK(done[0] == ts[0]); // input order
}

COREIO_TEST_CASE("FIRST_COMPLETED returns once one is done and leaves the rest pending") {
  auto fast = sleeper(1ms, 1, 1);
  auto slow = sleeper(10s, 2, 0);
  std::vector<coreio::Task<int>> ts{slow, fast};
  auto [done, pending] = coreio::wait(ts, {.return_when = coreio::FIRST_COMPLETED});
  REQUIRE(done.size() == 1);
  CHECK(done[0] == fast);
  REQUIRE(pending.size() == 1);
  CHECK(pending[0] == slow);
  CHECK_FALSE(slow.done()); // never cancelled
  slow.cancel();
}

COREIO_TEST_CASE("done is computed after waking and may hold more than one future") {
  coreio::Future<int> a, b;
  auto setter = coreio::create_task(
      [&] {
        coreio::sleep(1ms);
        a.set_result(1);
        b.set_result(2);
      },
      on_loop(1));
  std::vector<coreio::Future<int>> fs{a, b};
  auto [done, pending] = coreio::wait(fs, {.return_when = coreio::FIRST_COMPLETED});
  setter.get();
  // Both may be done by the time the waiter runs (asyncio's test_wait_really_done).
  CHECK(done.size() + pending.size() == 2);
  CHECK(contains(done, a));
}

COREIO_TEST_CASE("FIRST_EXCEPTION returns at the first failure") {
  auto bad = coreio::create_task(
      []() -> int {
        coreio::sleep(1ms);
        throw std::runtime_error("x");
      },
      on_loop(1));
  auto slow = sleeper(10s, 1, 0);
  std::vector<coreio::Task<int>> ts{slow, bad};
  auto [done, pending] = coreio::wait(ts, {.return_when = coreio::FIRST_EXCEPTION});
  REQUIRE(done.size() == 1);
  CHECK(done[0] == bad);
  CHECK(pending.size() == 1);
  CHECK_THROWS_AS(bad.result(), std::runtime_error);
  slow.cancel();
}

COREIO_TEST_CASE("FIRST_EXCEPTION waits for all when nothing fails, and a cancellation is not a failure") {
  auto victim = sleeper(10s, 0, 1);
  auto ok = sleeper(3ms, 1, 0);
  auto canceller = coreio::create_task([&] {
    coreio::sleep(1ms);
    victim.cancel();
  });
  std::vector<coreio::Task<int>> ts{victim, ok};
  auto [done, pending] = coreio::wait(ts, {.return_when = coreio::FIRST_EXCEPTION});
  canceller.get();
  CHECK(done.size() == 2);
  CHECK(pending.empty());
  CHECK(victim.cancelled());
}

COREIO_TEST_CASE("FIRST_EXCEPTION with a future that already failed returns at once") {
  auto bad = coreio::create_task([]() -> int { throw std::runtime_error("early"); });
  bad.wait();
  auto slow = sleeper(10s, 1, 1);
  std::vector<coreio::Task<int>> ts{bad, slow};
  auto [done, pending] = coreio::wait(ts, {.return_when = coreio::FIRST_EXCEPTION});
  CHECK(done.size() == 1);
  CHECK(pending.size() == 1);
  slow.cancel();
}

COREIO_TEST_CASE("a timeout never raises and never cancels: the unfinished are pending") {
  auto slow = sleeper(10s, 1, 1);
  auto fast = sleeper(1ms, 2, 0);
  fast.wait();
  std::vector<coreio::Task<int>> ts{slow, fast};
  const auto t0 = std::chrono::steady_clock::now();
  auto [done, pending] = coreio::wait(ts, {.timeout = 20ms});
  CHECK(std::chrono::steady_clock::now() - t0 >= 20ms);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  REQUIRE(done.size() == 1);
  CHECK(done[0] == fast);
  REQUIRE(pending.size() == 1);
  CHECK_FALSE(slow.done());
  slow.cancel();
}

COREIO_TEST_CASE("a zero timeout reports what is already done") {
  auto done_task = coreio::create_task([] { return 1; });
  done_task.wait();
  auto slow = sleeper(10s, 2, 1);
  std::vector<coreio::Task<int>> ts{done_task, slow};
  auto [done, pending] = coreio::wait(ts, {.timeout = 0ms});
  CHECK(done.size() == 1);
  CHECK(pending.size() == 1);
  slow.cancel();
}

COREIO_TEST_CASE("cancelling the waiting task leaves the futures running") {
  auto a = sleeper(10s, 1, 0);
  auto b = sleeper(10s, 2, 1);
  auto w = coreio::create_task([&] {
    std::vector<coreio::Task<int>> ts{a, b};
    (void)coreio::wait(ts);
  });
  coreio::sleep(2ms);
  w.cancel();
  CHECK_THROWS_AS(w.get(), CancelledError);
  CHECK_FALSE(a.done());
  CHECK_FALSE(b.done());
  a.cancel();
  b.cancel();
}

COREIO_TEST_CASE("an empty input is a ValueError") {
  std::vector<coreio::Task<int>> none;
  CHECK_THROWS_AS(coreio::wait(none), coreio::ValueError);
}

COREIO_TEST_CASE("duplicates are waited for once and reported once") {
  auto t = sleeper(1ms, 1, 1);
  std::vector<coreio::Task<int>> ts{t, t, t};
  auto [done, pending] = coreio::wait(ts);
  CHECK(done.size() == 1);
  CHECK(pending.empty());
}

COREIO_TEST_CASE("tasks of different result types wait together as TaskHandles") {
  auto i = coreio::create_task([] { coreio::sleep(1ms); return 1; }, on_loop(1));
  auto s = coreio::create_task([] { coreio::sleep(1ms); return std::string("s"); }, on_loop(0));
  auto [done, pending] = coreio::wait({i, s});
  CHECK(done.size() == 2);
  CHECK(pending.empty());
}

COREIO_TEST_CASE("many futures completing concurrently on every loop are all counted") {
  std::vector<coreio::Task<int>> ts;
  for (std::size_t k = 0; k < 200; ++k)
    ts.push_back(coreio::create_task([k] { coreio::yield_now(); return static_cast<int>(k); }, on_loop(k)));
  auto [done, pending] = coreio::wait(ts);
  CHECK(done.size() == 200);
  CHECK(pending.empty());
}

} // TEST_SUITE
