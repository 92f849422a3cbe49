#include "coreio/sync/oneshot.hpp"

#include <memory>
#include <string>
#include <utility>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "sync_test_support.hpp"

using synctest::eventually;
using synctest::on_one_loop;
using synctest::Probe;
using synctest::spawn_here;

TEST_SUITE("oneshot") {
  COREIO_TEST_CASE("recv waits for the value a task on another loop sends") {
    auto [tx, rx] = coreio::oneshot::channel<std::string>();
    auto receiver = coreio::create_task([rx = std::move(rx)]() mutable { return rx.recv(); });
    coreio::sleep(std::chrono::milliseconds(1));
    CHECK(tx.send("hello"));
    CHECK(receiver.get() == "hello");
  }

  COREIO_TEST_CASE("a sender dropped without sending makes a waiting or later recv raise ChannelClosed") {
    {
      auto [tx, rx] = coreio::oneshot::channel<int>();
      auto receiver = coreio::create_task([&rx] { return rx.recv(); });
      eventually([&] { return Probe::waiters(rx) == 1; });
      { auto dropped = std::move(tx); }
      CHECK_THROWS_AS(receiver.get(), coreio::ChannelClosed);
    }
    {
      auto [tx, rx] = coreio::oneshot::channel<int>();
      { auto dropped = std::move(tx); }
      CHECK_THROWS_AS(rx.recv(), coreio::ChannelClosed);
      CHECK(rx.try_recv().error() == coreio::ChannelStatus::closed);
    }
  }

  COREIO_TEST_CASE("a value sent before the sender is dropped is still received") {
    auto [tx, rx] = coreio::oneshot::channel<int>();
    CHECK(tx.send(7));
    { auto dropped = std::move(tx); }
    CHECK(rx.recv() == 7);
    CHECK_THROWS_AS(rx.recv(), coreio::ChannelClosed); // the one value was taken
  }

  COREIO_TEST_CASE("send to a dropped or closed receiver returns false and leaves the value with the caller") {
    {
      auto [tx, rx] = coreio::oneshot::channel<std::unique_ptr<int>>();
      { auto dropped = std::move(rx); }
      CHECK(tx.is_closed());
      auto v = std::make_unique<int>(3);
      CHECK_FALSE(tx.send(std::move(v)));
      REQUIRE(v != nullptr);
      CHECK(*v == 3);
    }
    {
      auto [tx, rx] = coreio::oneshot::channel<int>();
      CHECK_FALSE(tx.is_closed());
      rx.close();
      CHECK(tx.is_closed());
      CHECK_FALSE(tx.send(1));
      CHECK(rx.try_recv().error() == coreio::ChannelStatus::empty);
    }
  }

  COREIO_TEST_CASE("a second send raises InvalidStateError") {
    auto [tx, rx] = coreio::oneshot::channel<int>();
    CHECK(tx.send(1));
    CHECK_THROWS_AS(tx.send(2), coreio::InvalidStateError);
    CHECK(rx.recv() == 1);
  }

  COREIO_TEST_CASE("try_recv reports empty, then gives the value, then reports closed") {
    auto [tx, rx] = coreio::oneshot::channel<int>();
    CHECK(rx.try_recv().error() == coreio::ChannelStatus::empty);
    const int v = 5;
    CHECK(tx.send(v));
    auto got = rx.try_recv();
    REQUIRE(got.has_value());
    CHECK(*got == 5);
    CHECK(rx.try_recv().error() == coreio::ChannelStatus::closed);
  }

  COREIO_TEST_CASE("a recv cancelled after the value was sent loses nothing: the value is received next time") {
    on_one_loop([] {
      auto [tx, rx] = coreio::oneshot::channel<int>();
      auto receiver = spawn_here([&rx] { return rx.recv(); });
      eventually([&] { return Probe::waiters(rx) == 1; });
      CHECK(tx.send(42)); // wakes the receiver, which has not run
      receiver.cancel();
      CHECK_THROWS_AS(receiver.get(), coreio::CancelledError);
      CHECK(rx.recv() == 42);
    });
  }

  COREIO_TEST_CASE("a waiting recv that is cancelled leaves the channel usable") {
    auto [tx, rx] = coreio::oneshot::channel<int>();
    auto receiver = coreio::create_task([&rx] { return rx.recv(); });
    eventually([&] { return Probe::waiters(rx) == 1; });
    receiver.cancel();
    CHECK_THROWS_AS(receiver.get(), coreio::CancelledError);
    CHECK(Probe::waiters(rx) == 0);
    CHECK(tx.send(9));
    CHECK(rx.recv() == 9);
  }

  COREIO_TEST_CASE("a plain OS thread receives what a task sends, and a task what a thread sends") {
    auto [tx1, rx1] = coreio::oneshot::channel<int>();
    auto [tx2, rx2] = coreio::oneshot::channel<int>();
    synctest::Thread th([&, rx1 = std::move(rx1), tx2 = std::move(tx2)]() mutable {
      const int v = rx1.recv(); // blocks the thread
      CHECK(tx2.send(v + 1));
    });
    coreio::sleep(std::chrono::milliseconds(1));
    CHECK(tx1.send(10));
    CHECK(rx2.recv() == 11);
    th.join();
  }

} // TEST_SUITE
