#include "coreio/sync/watch.hpp"

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

TEST_SUITE("watch") {
  COREIO_TEST_CASE("borrow sees the latest value and the initial value counts as seen") {
    auto [tx, rx] = coreio::watch::channel<std::string>("init");
    CHECK(*rx.borrow() == "init");
    CHECK_FALSE(rx.has_changed());
    auto held = rx.borrow();
    CHECK(tx.send("next"));
    CHECK(*held == "init"); // a borrowed value never changes under its reader
    CHECK(*rx.borrow() == "next");
    CHECK(*tx.borrow() == "next");
    CHECK(rx.has_changed()); // borrow() does not mark it seen
    CHECK(*rx.borrow_and_update() == "next");
    CHECK_FALSE(rx.has_changed());
  }

  COREIO_TEST_CASE("changed waits for a send on another loop and marks it seen") {
    auto [tx, rx] = coreio::watch::channel<int>(0);
    auto watcher = coreio::create_task([&rx] {
      rx.changed();
      return *rx.borrow();
    });
    eventually([&] { return Probe::waiters(rx) == 1; });
    CHECK(tx.send(5));
    CHECK(watcher.get() == 5);
    CHECK_FALSE(rx.has_changed());
  }

  COREIO_TEST_CASE(
      "changed returns at once for an unseen value, even after the sender is gone, then raises ChannelClosed") {
    auto [tx, rx] = coreio::watch::channel<int>(0);
    CHECK(tx.send(1));
    { auto gone = std::move(tx); }
    CHECK(rx.is_closed());
    rx.changed(); // the unseen 1 wins over closure
    CHECK(*rx.borrow() == 1);
    CHECK_THROWS_AS(rx.changed(), coreio::ChannelClosed);
  }

  COREIO_TEST_CASE("the sender's destruction wakes waiting receivers with ChannelClosed") {
    auto [tx, rx] = coreio::watch::channel<int>(0);
    auto rx2 = rx;
    auto a = coreio::create_task([&rx] { rx.changed(); });
    synctest::Thread th([&] { CHECK_THROWS_AS(rx2.changed(), coreio::ChannelClosed); });
    eventually([&] { return Probe::waiters(rx) == 2; });
    { auto gone = std::move(tx); }
    CHECK_THROWS_AS(a.get(), coreio::ChannelClosed);
    th.join();
  }

  COREIO_TEST_CASE("send with no receiver returns false and stores nothing; send_replace stores anyway") {
    auto [tx, rx] = coreio::watch::channel<int>(1);
    CHECK(tx.receiver_count() == 1);
    { auto gone = std::move(rx); }
    CHECK(tx.is_closed());
    CHECK_FALSE(tx.send(2));
    CHECK(*tx.borrow() == 1);
    CHECK(*tx.send_replace(3) == 1);
    CHECK(*tx.borrow() == 3);
    auto rx2 = tx.subscribe(); // the current value counts as seen
    CHECK_FALSE(rx2.has_changed());
    tx.send_modify([](int& v) { v += 10; });
    CHECK(rx2.has_changed());
    CHECK(*rx2.borrow_and_update() == 13);
  }

  COREIO_TEST_CASE("wait_for returns the first value that satisfies the predicate") {
    auto [tx, rx] = coreio::watch::channel<int>(0);
    auto watcher = coreio::create_task([&rx] { return *rx.wait_for([](int v) { return v >= 3; }); });
    for (int i = 1; i <= 5; ++i) {
      tx.send(i);
      coreio::yield_now();
    }
    const int got = watcher.get();
    CHECK(got >= 3);
    CHECK(got <= 5);
    CHECK(*rx.wait_for([](int v) { return v == 5; }) == 5); // already true: no wait
  }

  COREIO_TEST_CASE("a changed cancelled after a send marks nothing seen") {
    on_one_loop([] {
      auto [tx, rx] = coreio::watch::channel<int>(0);
      auto watcher = spawn_here([&rx] { rx.changed(); });
      eventually([&] { return Probe::waiters(rx) == 1; });
      tx.send(1); // wakes the watcher, which has not run
      watcher.cancel();
      CHECK_THROWS_AS(watcher.get(), coreio::CancelledError);
      CHECK(rx.has_changed());
      rx.changed(); // returns at once
      CHECK_FALSE(rx.has_changed());
    });
  }

  COREIO_TEST_CASE("a copied receiver starts from its original's seen version") {
    auto [tx, rx] = coreio::watch::channel<int>(0);
    tx.send(1);
    auto copy = rx;
    CHECK(copy.has_changed());
    (void)rx.borrow_and_update();
    CHECK_FALSE(rx.has_changed());
    CHECK(copy.has_changed()); // each copy keeps its own version
    CHECK(tx.receiver_count() == 2);
  }

} // TEST_SUITE
