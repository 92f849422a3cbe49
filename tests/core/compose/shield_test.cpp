#include "coreio/shield.hpp" // self-contained header first

#include <atomic>
#include <chrono>
#include <stdexcept>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;
using coreio::CancelledError;

using coreio::testing::on_loop;
using coreio::testing::until;

TEST_SUITE("shield") {

COREIO_TEST_CASE("the outer future carries the inner result") {
  auto t = coreio::create_task([] { coreio::sleep(1ms); return 10; }, on_loop(1));
  CHECK(coreio::shield(t).get() == 10);
}

COREIO_TEST_CASE("the outer future carries the inner exception") {
  auto t = coreio::create_task(
      []() -> int {
        coreio::sleep(1ms);
        throw std::runtime_error("inner");
      },
      on_loop(1));
  CHECK_THROWS_WITH_AS(coreio::shield(t).get(), "inner", std::runtime_error);
}

COREIO_TEST_CASE("cancelling the awaiter does not cancel the inner task") {
  std::atomic<bool> finished{false}, shielded{false};
  coreio::Future<void> gate;
  auto inner = coreio::create_task(
      [&] {
        gate.get();
        finished = true;
        return 3;
      },
      on_loop(1));
  auto awaiter = coreio::create_task([&] {
    auto outer = coreio::shield(inner);
    shielded = true;
    return outer.get();
  });
  until([&] { return shielded.load(); });
  awaiter.cancel();
  CHECK_THROWS_AS(awaiter.get(), CancelledError);
  CHECK_FALSE(inner.done());
  gate.set_result();
  CHECK(inner.get() == 3);
  CHECK_FALSE(inner.cancelled());
  CHECK(finished.load());
}

COREIO_TEST_CASE("cancelling the outer future directly leaves the inner one running") {
  coreio::Future<void> gate;
  auto inner = coreio::create_task([&] { gate.get(); return 1; }, on_loop(1));
  auto outer = coreio::shield(inner);
  CHECK(outer.cancel());
  CHECK(outer.cancelled());
  gate.set_result();
  CHECK(inner.get() == 1);
}

COREIO_TEST_CASE("cancelling the inner task cancels the outer future") {
  auto inner = coreio::create_task([] { coreio::sleep(10s); }, on_loop(1));
  auto outer = coreio::shield(inner);
  coreio::sleep(1ms);
  inner.cancel();
  CHECK_THROWS_AS(outer.get(), CancelledError);
  CHECK(outer.cancelled());
}

COREIO_TEST_CASE("a done inner future is returned as it is") {
  coreio::Future<int> f;
  f.set_result(4);
  auto same = coreio::shield(f);
  CHECK(same == f);
  CHECK(same.result() == 4);
}

COREIO_TEST_CASE("a callable becomes a task that survives its awaiter's cancellation") {
  std::atomic<bool> finished{false};
  std::atomic<bool> shielded{false};
  auto awaiter = coreio::create_task([&] {
    auto outer = coreio::shield([&] {
      coreio::sleep(3ms);
      finished = true;
    });
    shielded = true;
    outer.get();
  });
  until([&] { return shielded.load(); });
  awaiter.cancel();
  CHECK_THROWS_AS(awaiter.get(), CancelledError);
  until([&] { return finished.load(); }); // the shielded task finishes on its own
}

COREIO_TEST_CASE("shield inside gather: cancelling the gather spares the shielded child") {
  auto protected_task = coreio::create_task([] { coreio::sleep(3ms); return 1; }, on_loop(1));
  auto plain = coreio::create_task([] { coreio::sleep(10s); return 2; }, on_loop(0));
  std::atomic<bool> gathering{false};
  auto g = coreio::create_task([&] {
    gathering = true;
    return coreio::gather(coreio::shield(protected_task), plain);
  });
  until([&] { return gathering.load(); });
  g.cancel();
  CHECK_THROWS_AS(g.get(), CancelledError);
  CHECK(plain.cancelled());
  CHECK(protected_task.get() == 1); // asyncio's test_shield_gather
}

} // TEST_SUITE
