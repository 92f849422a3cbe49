#include "coreio/sync/mpsc.hpp"

#include <atomic>
#include <memory>
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

TEST_SUITE("mpsc") {
  COREIO_TEST_CASE("items from senders on several loops all arrive, each sender's in its order") {
    auto [tx, rx] = coreio::mpsc::channel<int>(2);
    constexpr int senders = 3;
    constexpr int per = 200;
    std::vector<coreio::Task<>> tasks;
    for (int s = 0; s < senders; ++s) {
      tasks.push_back(coreio::create_task([tx = tx, s]() mutable {
        auto mine = std::move(tx); // dropped when the body ends, not with the task
        for (int i = 0; i < per; ++i) CHECK(mine.send(s * per + i));
      }));
    }
    { auto last = std::move(tx); } // only the tasks' copies are left
    std::vector<int> next(senders, 0);
    int received = 0;
    while (std::optional<int> v = rx.recv()) {
      const int s = *v / per;
      CHECK(*v % per == next[static_cast<std::size_t>(s)]);
      ++next[static_cast<std::size_t>(s)];
      ++received;
    }
    CHECK(received == senders * per); // nullopt only after every sender was gone and all was drained
    for (auto& t : tasks) t.get();
  }

  COREIO_TEST_CASE("recv returns nullopt once every sender is gone and the buffer is drained") {
    auto [tx, rx] = coreio::mpsc::unbounded_channel<std::string>();
    auto tx2 = tx;
    CHECK(tx.send("a"));
    CHECK(tx2.send("b"));
    { auto gone = std::move(tx); }
    auto waiting = coreio::create_task([&rx] {
      std::vector<std::string> got;
      while (auto v = rx.recv()) got.push_back(*v);
      return got;
    });
    eventually([&] { return Probe::waiters(rx) == 1; });
    { auto gone = std::move(tx2); } // the last sender: wakes the receiver
    CHECK(waiting.get() == std::vector<std::string>{"a", "b"});
    CHECK(rx.try_recv().error() == coreio::ChannelStatus::closed);
  }

  COREIO_TEST_CASE("send on a full bounded channel waits for room, and waiting senders are served in order") {
    auto [tx, rx] = coreio::mpsc::channel<int>(1);
    CHECK(tx.send(0));
    std::vector<coreio::Task<bool>> senders;
    for (int i = 1; i <= 3; ++i) {
      senders.push_back(coreio::create_task([tx = tx, i]() mutable { return tx.send(i); }));
      eventually([&] { return Probe::senders(rx) == static_cast<std::size_t>(i); });
    }
    CHECK(tx.try_send(9) == coreio::ChannelStatus::full); // no overtaking the waiting senders
    for (int i = 0; i <= 3; ++i) CHECK(rx.recv() == i);
    for (auto& s : senders) CHECK(s.get());
    CHECK(rx.empty());
  }

  COREIO_TEST_CASE("try_send reports full and closed keeping the item; try_recv reports empty and closed") {
    auto [tx, rx] = coreio::mpsc::channel<std::unique_ptr<int>>(1);
    CHECK(rx.try_recv().error() == coreio::ChannelStatus::empty);
    auto a = std::make_unique<int>(1);
    CHECK(tx.try_send(std::move(a)) == coreio::ChannelStatus::ok);
    CHECK(a == nullptr);
    auto b = std::make_unique<int>(2);
    CHECK(tx.try_send(std::move(b)) == coreio::ChannelStatus::full);
    REQUIRE(b != nullptr);
    rx.close();
    CHECK(tx.is_closed());
    CHECK(tx.try_send(std::move(b)) == coreio::ChannelStatus::closed);
    REQUIRE(b != nullptr);
    auto got = rx.try_recv(); // buffered items are still received after close
    REQUIRE(got.has_value());
    CHECK(**got == 1);
    CHECK(rx.try_recv().error() == coreio::ChannelStatus::closed);
    CHECK_FALSE(rx.recv().has_value());
  }

  COREIO_TEST_CASE("close releases waiting senders with false and their items untouched") {
    auto [tx, rx] = coreio::mpsc::channel<std::string>(1);
    CHECK(tx.send("kept"));
    auto sender = coreio::create_task([tx = tx]() mutable {
      std::string item = "refused";
      const bool ok = tx.send(std::move(item));
      return std::make_pair(ok, item);
    });
    eventually([&] { return Probe::senders(rx) == 1; });
    rx.close();
    auto [ok, item] = sender.get();
    CHECK_FALSE(ok);
    CHECK(item == "refused");
    CHECK_FALSE(tx.send("late"));
    CHECK(rx.recv() == "kept");
    CHECK_FALSE(rx.recv().has_value());
  }

  COREIO_TEST_CASE("dropping the receiver makes send return false and keep the item") {
    auto [tx, rx] = coreio::mpsc::channel<std::unique_ptr<int>>(4);
    CHECK(tx.send(std::make_unique<int>(1)));
    { auto gone = std::move(rx); } // drops the buffered item too
    auto v = std::make_unique<int>(2);
    CHECK_FALSE(tx.send(std::move(v)));
    REQUIRE(v != nullptr);
    CHECK(*v == 2);
  }

  COREIO_TEST_CASE("a cancelled waiting send keeps its item and sends nothing") {
    auto [tx, rx] = coreio::mpsc::channel<std::string>(1);
    CHECK(tx.send("first"));
    std::string kept;
    auto sender = coreio::create_task([&, tx = tx]() mutable {
      std::string item = "second";
      try {
        tx.send(std::move(item));
      } catch (const coreio::CancelledError&) {
        kept = item;
        throw;
      }
    });
    eventually([&] { return Probe::senders(rx) == 1; });
    sender.cancel();
    CHECK_THROWS_AS(sender.get(), coreio::CancelledError);
    CHECK(kept == "second");
    CHECK(Probe::senders(rx) == 0);
    CHECK(rx.recv() == "first");
    CHECK(rx.try_recv().error() == coreio::ChannelStatus::empty);
  }

  COREIO_TEST_CASE(
      "a send whose item was taken in before it was cancelled reports success, and the item arrives once") {
    on_one_loop([] {
      auto [tx, rx] = coreio::mpsc::channel<int>(1);
      CHECK(tx.send(1));
      std::optional<bool> result;
      auto sender = spawn_here([&, tx = tx]() mutable { result = tx.send(2); });
      eventually([&] { return Probe::senders(rx) == 1; });
      CHECK(rx.recv() == 1); // moves 2 in from the waiting sender, which has not run
      sender.cancel();
      // The cancel arrives after the send completed: the task ends cancelled
      // (asyncio's test_cancel_at_end), having reported the send as done.
      CHECK_THROWS_AS(sender.get(), coreio::CancelledError);
      REQUIRE(result.has_value());
      CHECK(*result);
      CHECK(rx.recv() == 2);
      CHECK(rx.try_recv().error() == coreio::ChannelStatus::empty);
    });
  }

  COREIO_TEST_CASE("a recv cancelled after an item arrived loses nothing") {
    on_one_loop([] {
      auto [tx, rx] = coreio::mpsc::unbounded_channel<int>();
      auto receiver = spawn_here([&rx] { return rx.recv(); });
      eventually([&] { return Probe::waiters(rx) == 1; });
      CHECK(tx.send(5)); // wakes the receiver, which has not run
      receiver.cancel();
      CHECK_THROWS_AS(receiver.get(), coreio::CancelledError);
      CHECK(rx.recv() == 5);
    });
  }

  COREIO_TEST_CASE(
      "a bounded channel of capacity 0 is a ValueError; an unbounded send never waits, even in a callback") {
    CHECK_THROWS_AS(coreio::mpsc::channel<int>(0), coreio::ValueError);
    auto [tx, rx] = coreio::mpsc::unbounded_channel<int>();
    auto& loop = coreio::get_running_loop();
    auto done = loop.create_future<bool>();
    loop.call_soon([&, tx = tx]() mutable {
      bool ok = true;
      for (int i = 0; i < 1000; ++i) ok = ok && tx.send(i);
      done.set_result(ok);
    });
    CHECK(done.get());
    CHECK(rx.size() == 1000);
    for (int i = 0; i < 1000; ++i) CHECK(rx.recv() == i);
  }

  COREIO_TEST_CASE("a plain OS thread sends through a bounded channel to a task") {
    auto [tx, rx] = coreio::mpsc::channel<int>(2);
    synctest::Thread th([tx = std::move(tx)]() mutable {
      auto mine = std::move(tx); // dropped when the thread's function returns
      for (int i = 0; i < 500; ++i) CHECK(mine.send(i));
    });
    int expect = 0;
    while (auto v = rx.recv()) CHECK(*v == expect++);
    CHECK(expect == 500);
    th.join();
  }

} // TEST_SUITE
