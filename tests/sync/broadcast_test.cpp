#include "coreio/sync/broadcast.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "sync_test_support.hpp"

using synctest::eventually;
using synctest::on_one_loop;
using synctest::Probe;
using synctest::spawn_here;

namespace {
std::vector<int> drain(coreio::broadcast::Receiver<int>& rx) {
  std::vector<int> got;
  while (std::optional<int> v = rx.recv()) got.push_back(*v);
  return got;
}
} // namespace

TEST_SUITE("broadcast") {
  COREIO_TEST_CASE("every receiver sees every value sent after it subscribed, in order") {
    auto [tx, rx1] = coreio::broadcast::channel<int>(8);
    CHECK(tx.send(1) == 1);
    auto rx2 = tx.subscribe(); // misses 1
    CHECK(tx.receiver_count() == 2);
    auto a = coreio::create_task([&rx1] { return drain(rx1); });
    auto b = coreio::create_task([&rx2] { return drain(rx2); });
    for (int i = 2; i <= 5; ++i) {
      CHECK(tx.send(i) == 2);
      coreio::yield_now();
    }
    { auto gone = std::move(tx); } // closes the channel: both drain and end
    CHECK(a.get() == std::vector<int>{1, 2, 3, 4, 5});
    CHECK(b.get() == std::vector<int>{2, 3, 4, 5});
  }

  COREIO_TEST_CASE(
      "a lagging receiver gets Lagged with the number it missed, then continues from the oldest retained") {
    auto [tx, rx] = coreio::broadcast::channel<int>(3);
    for (int i = 0; i < 10; ++i) CHECK(tx.send(i) == 1);
    CHECK(rx.size() == 10);
    try {
      (void)rx.recv();
      FAIL("no Lagged");
    } catch (const coreio::Lagged& lag) {
      CHECK(lag.missed() == 7);
    }
    CHECK(rx.recv() == 7);
    CHECK(rx.recv() == 8);
    CHECK(rx.recv() == 9);
    CHECK(rx.try_recv().error().status == coreio::ChannelStatus::empty);
  }

  COREIO_TEST_CASE("try_recv reports lagged with its count, empty, and closed after the last sender") {
    auto [tx, rx] = coreio::broadcast::channel<std::string>(2);
    CHECK(rx.try_recv().error().status == coreio::ChannelStatus::empty);
    for (const char* s : {"a", "b", "c", "d"}) tx.send(std::string(s));
    auto lag = rx.try_recv();
    REQUIRE_FALSE(lag.has_value());
    CHECK(lag.error().status == coreio::ChannelStatus::lagged);
    CHECK(lag.error().missed == 2);
    CHECK(rx.try_recv() == "c");
    { auto gone = std::move(tx); }
    CHECK(rx.try_recv() == "d"); // retained values are still received
    CHECK(rx.try_recv().error().status == coreio::ChannelStatus::closed);
    CHECK_FALSE(rx.recv().has_value());
  }

  COREIO_TEST_CASE("send with no receiver returns 0 and keeps the value; resubscribe starts at the next value") {
    auto [tx, rx] = coreio::broadcast::channel<std::string>(4);
    CHECK(tx.send(std::string("x")) == 1);
    auto late = rx.resubscribe();
    { auto gone = std::move(rx); }
    CHECK(tx.send(std::string("y")) == 1);
    CHECK(late.recv() == "y");
    { auto gone = std::move(late); }
    CHECK(tx.receiver_count() == 0);
    std::string v = "kept";
    CHECK(tx.send(std::move(v)) == 0);
    CHECK(v == "kept");
  }

  COREIO_TEST_CASE("one send wakes receivers waiting on every loop and on a plain thread") {
    auto [tx, rx] = coreio::broadcast::channel<int>(4);
    auto rx2 = tx.subscribe();
    auto rx3 = tx.subscribe();
    auto a = coreio::create_task([&rx] { return rx.recv(); });
    auto b = coreio::create_task([&rx2] { return rx2.recv(); });
    std::optional<int> from_thread;
    synctest::Thread th([&] { from_thread = rx3.recv(); });
    eventually([&] { return Probe::waiters(rx) == 3; });
    CHECK(tx.send(11) == 3);
    CHECK(a.get() == 11);
    CHECK(b.get() == 11);
    th.join();
    CHECK(from_thread == 11);
  }

  COREIO_TEST_CASE("a recv cancelled after a value arrived consumes nothing") {
    on_one_loop([] {
      auto [tx, rx] = coreio::broadcast::channel<int>(2);
      auto receiver = spawn_here([&rx] { return rx.recv(); });
      eventually([&] { return Probe::waiters(rx) == 1; });
      tx.send(3); // wakes the receiver, which has not run
      receiver.cancel();
      CHECK_THROWS_AS(receiver.get(), coreio::CancelledError);
      CHECK(rx.recv() == 3);
    });
  }

  COREIO_TEST_CASE("a capacity of 0 is a ValueError") {
    CHECK_THROWS_AS(coreio::broadcast::channel<int>(0), coreio::ValueError);
  }

} // TEST_SUITE
