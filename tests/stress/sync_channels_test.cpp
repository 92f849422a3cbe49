#include "coreio/sync/broadcast.hpp"
#include "coreio/sync/mpsc.hpp"
#include "coreio/sync/notify.hpp"
#include "coreio/sync/oneshot.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "../sync/sync_test_support.hpp"
#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

// Items through mpsc, broadcast and oneshot channels, and notifications
// through Notify, from tasks on every loop (and plain threads) while a
// canceller task cancels the workers at random: waiting, just woken, or just
// handed something. Workers swallow CancelledError and retry. The checks
// count every item in and out: each item sent arrives exactly once (mpsc,
// oneshot), each broadcast receiver accounts for every value as received or
// reported missed by Lagged, and every notify_one() wakes exactly one
// notified(). Sizes are moderate: the suite also runs under TSan and ASan.

namespace {

/// Cancels a random victim every few microseconds until `stop`.
coreio::Task<> start_canceller(std::vector<coreio::TaskHandle>& victims, const std::atomic<bool>& stop,
                               std::atomic<int>& sent, unsigned seed) {
  return coreio::create_task([&victims, &stop, &sent, seed] {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> pick(0, victims.size() - 1);
    std::uniform_int_distribution<int> pause(0, 40);
    while (!stop.load()) {
      if (victims[pick(rng)].cancel("stress")) sent.fetch_add(1);
      const int us = pause(rng);
      if (us < 10) coreio::yield_now();
      else coreio::sleep(std::chrono::microseconds(us));
    }
  });
}

/// Sends `count` numbered items, retrying a cancelled send with the same
/// (untouched) item; the Sender is dropped when it returns.
void send_all(coreio::mpsc::Sender<std::uint64_t> tx, std::uint64_t first, int count, std::atomic<int>& cancelled) {
  for (int i = 0; i < count;) {
    std::uint64_t item = first + static_cast<std::uint64_t>(i);
    try {
      // Outside REQUIRE: doctest would catch the CancelledError as a failure.
      const bool sent = tx.send(std::move(item));
      REQUIRE(sent);
      ++i;
      if (i % 16 == 0) coreio::yield_now(); // keep an unbounded channel's senders cancellable
    } catch (const coreio::CancelledError&) {
      cancelled.fetch_add(1); // not sent: send the same item again
    }
  }
}

void mpsc_exactly_once(std::size_t capacity) {
  constexpr int producer_tasks = 4;
  constexpr int per = 1500;
  constexpr int producers = producer_tasks + 1; // + a plain thread
  auto [tx, rx] =
      capacity == 0 ? coreio::mpsc::unbounded_channel<std::uint64_t>() : coreio::mpsc::channel<std::uint64_t>(capacity);
  std::vector<std::atomic<int>> seen(static_cast<std::size_t>(producers * per));
  std::atomic<int> cancelled_sends{0};
  std::atomic<int> cancelled_recvs{0};
  std::atomic<bool> in_order{true};
  std::atomic<int> started{0};
  std::vector<coreio::Task<>> workers;
  for (int p = 0; p < producer_tasks; ++p) {
    workers.push_back(coreio::create_task([&, tx = tx, p]() mutable {
      started.fetch_add(1);
      send_all(std::move(tx), static_cast<std::uint64_t>(p * per), per, cancelled_sends);
    }));
  }
  // The verdict goes through variables: a cancel after the consumer's last
  // recv() ends the task cancelled (asyncio's test_cancel_at_end).
  workers.push_back(coreio::create_task([&, rx = std::move(rx)]() mutable {
    started.fetch_add(1);
    std::vector<std::int64_t> last(producers, -1);
    for (;;) {
      try {
        std::optional<std::uint64_t> v = rx.recv();
        if (!v) return;
        seen[*v].fetch_add(1);
        const std::size_t p = *v / per;
        if (static_cast<std::int64_t>(*v) <= last[p]) in_order = false;
        last[p] = static_cast<std::int64_t>(*v);
      } catch (const coreio::CancelledError&) {
        cancelled_recvs.fetch_add(1); // nothing taken: receive again
      }
    }
  }));
  synctest::Thread thread_producer([&, tx = tx]() mutable {
    started.fetch_add(1);
    send_all(std::move(tx), static_cast<std::uint64_t>(producer_tasks * per), per, cancelled_sends);
  });
  { auto mine = std::move(tx); } // only the producers' senders are left
  std::vector<coreio::TaskHandle> victims;
  for (auto& w : workers) victims.push_back(w.handle());
  synctest::eventually([&] { return started.load() == producers + 1; });
  std::atomic<bool> stop{false};
  std::atomic<int> cancels{0};
  auto canceller = start_canceller(victims, stop, cancels, 4242);
  for (auto& w : workers) synctest::finish_worker(w); // the consumer ends after the last sender
  thread_producer.join();
  stop = true;
  canceller.get();
  int missing = 0;
  int doubled = 0;
  for (const auto& s : seen) {
    if (s.load() == 0) ++missing;
    if (s.load() > 1) ++doubled;
  }
  CHECK(missing == 0);
  CHECK(doubled == 0);
  CHECK(in_order.load());
  MESSAGE("cancels: ", cancels.load(), ", cancelled sends: ", cancelled_sends.load(),
          ", cancelled recvs: ", cancelled_recvs.load());
}

} // namespace

TEST_SUITE("sync stress: channels") {
  COREIO_TEST_CASE(
      "every item goes through a bounded mpsc channel exactly once, in order, with cancellations injected") {
    mpsc_exactly_once(3);
  }

  COREIO_TEST_CASE(
      "every item goes through an unbounded mpsc channel exactly once, in order, with cancellations injected") {
    mpsc_exactly_once(0);
  }

  COREIO_TEST_CASE("every broadcast receiver accounts for every value as received or reported lagged") {
    constexpr int receivers = 4;
    constexpr std::uint64_t total = 4000;
    auto [tx, first_rx] = coreio::broadcast::channel<std::uint64_t>(8);
    std::vector<coreio::broadcast::Receiver<std::uint64_t>> rxs;
    rxs.push_back(std::move(first_rx));
    for (int r = 1; r < receivers; ++r) rxs.push_back(tx.subscribe());
    struct Tally {
      std::atomic<std::uint64_t> received{0};
      std::atomic<std::uint64_t> missed{0};
      std::atomic<bool> consistent{true};
    };
    std::vector<Tally> tallies(receivers);
    std::atomic<int> started{0};
    std::atomic<int> cancelled_recvs{0};
    std::vector<coreio::Task<>> workers;
    for (int r = 0; r < receivers; ++r) {
      workers.push_back(coreio::create_task([&, r] {
        started.fetch_add(1);
        auto& rx = rxs[static_cast<std::size_t>(r)];
        Tally& t = tallies[static_cast<std::size_t>(r)];
        std::uint64_t expect = 0; // the next value, by received + missed
        for (;;) {
          try {
            std::optional<std::uint64_t> v = rx.recv();
            if (!v) return;
            if (*v != expect) t.consistent = false;
            ++expect;
            t.received.fetch_add(1);
          } catch (const coreio::Lagged& lag) {
            expect += lag.missed();
            t.missed.fetch_add(lag.missed());
          } catch (const coreio::CancelledError&) {
            cancelled_recvs.fetch_add(1); // position unchanged: receive again
          }
        }
      }));
    }
    std::vector<coreio::TaskHandle> victims;
    for (auto& w : workers) victims.push_back(w.handle());
    synctest::eventually([&] { return started.load() == receivers; });
    std::atomic<bool> stop{false};
    std::atomic<int> cancels{0};
    auto canceller = start_canceller(victims, stop, cancels, 99);
    auto sender = coreio::create_task([tx = std::move(tx)]() mutable {
      auto mine = std::move(tx);
      for (std::uint64_t i = 0; i < total; ++i) {
        (void)mine.send(i);
        if (i % 4 == 0) coreio::yield_now();
      }
    });
    sender.get();
    for (auto& w : workers) synctest::finish_worker(w);
    stop = true;
    canceller.get();
    std::uint64_t lagged = 0;
    for (const Tally& t : tallies) {
      CHECK(t.consistent.load());
      CHECK(t.received.load() + t.missed.load() == total);
      lagged += t.missed.load();
    }
    MESSAGE("cancels: ", cancels.load(), ", cancelled recvs: ", cancelled_recvs.load(), ", values lagged: ", lagged);
  }

  COREIO_TEST_CASE("every oneshot value is received exactly once and every unsent one is reported closed") {
    constexpr int pairs = 600;
    constexpr int workers_per_side = 3;
    std::vector<std::optional<coreio::oneshot::Sender<int>>> txs;
    std::vector<std::optional<coreio::oneshot::Receiver<int>>> rxs;
    for (int i = 0; i < pairs; ++i) {
      auto [tx, rx] = coreio::oneshot::channel<int>();
      txs.emplace_back(std::move(tx));
      rxs.emplace_back(std::move(rx));
    }
    std::vector<std::atomic<int>> seen(pairs);
    std::atomic<int> closed{0};
    std::atomic<int> next_tx{0};
    std::atomic<int> next_rx{0};
    std::atomic<int> cancelled_recvs{0};
    std::atomic<int> started{0};
    std::vector<coreio::Task<>> workers;
    for (int w = 0; w < workers_per_side; ++w) {
      workers.push_back(coreio::create_task([&] { // receivers
        started.fetch_add(1);
        for (int i; (i = next_rx.fetch_add(1)) < pairs;) {
          for (;;) {
            try {
              seen[static_cast<std::size_t>(rxs[static_cast<std::size_t>(i)]->recv())].fetch_add(1);
              break;
            } catch (const coreio::ChannelClosed&) {
              closed.fetch_add(1);
              break;
            } catch (const coreio::CancelledError&) {
              cancelled_recvs.fetch_add(1); // the value, if sent, is still there
            }
          }
        }
      }));
    }
    for (int w = 0; w < workers_per_side; ++w) {
      workers.push_back(coreio::create_task([&] { // senders: every 7th drops its Sender unsent
        started.fetch_add(1);
        for (int i; (i = next_tx.fetch_add(1)) < pairs;) {
          auto tx = std::move(*txs[static_cast<std::size_t>(i)]);
          txs[static_cast<std::size_t>(i)].reset();
          if (i % 7 != 0) REQUIRE(tx.send(i));
          if (i % 3 == 0) {
            try {
              coreio::yield_now();
            } catch (const coreio::CancelledError&) {
              // A yield is only a suspension point here; the send is done.
            }
          }
        }
      }));
    }
    std::vector<coreio::TaskHandle> victims;
    for (auto& w : workers) victims.push_back(w.handle());
    synctest::eventually([&] { return started.load() == 2 * workers_per_side; });
    std::atomic<bool> stop{false};
    std::atomic<int> cancels{0};
    auto canceller = start_canceller(victims, stop, cancels, 7);
    for (auto& w : workers) synctest::finish_worker(w);
    stop = true;
    canceller.get();
    int expected_closed = 0;
    for (int i = 0; i < pairs; ++i) {
      if (i % 7 == 0) {
        ++expected_closed;
        CHECK(seen[static_cast<std::size_t>(i)].load() == 0);
      } else {
        CHECK(seen[static_cast<std::size_t>(i)].load() == 1);
      }
    }
    CHECK(closed.load() == expected_closed);
    MESSAGE("cancels: ", cancels.load(), ", cancelled recvs: ", cancelled_recvs.load());
  }

  COREIO_TEST_CASE("every notify_one wakes exactly one notified while waiters are cancelled at random") {
    constexpr int waiter_tasks = 4;
    constexpr int notifications = 600;
    coreio::Notify n;
    std::atomic<int> woken{0};
    std::atomic<bool> done{false};
    std::atomic<int> started{0};
    std::atomic<int> cancelled_waits{0};
    auto waiter = [&] {
      started.fetch_add(1);
      while (!done.load()) {
        try {
          n.notified();
          if (done.load()) return;
          woken.fetch_add(1);
        } catch (const coreio::CancelledError&) {
          cancelled_waits.fetch_add(1); // a permit it was handed went on to someone else
        }
      }
    };
    std::vector<coreio::Task<>> workers;
    for (int w = 0; w < waiter_tasks; ++w) workers.push_back(coreio::create_task(waiter));
    std::atomic<bool> thread_finished{false};
    synctest::Thread thread_waiter([&] {
      waiter();
      thread_finished = true;
    });
    std::vector<coreio::TaskHandle> victims;
    for (auto& w : workers) victims.push_back(w.handle());
    synctest::eventually([&] { return started.load() == waiter_tasks + 1; });
    std::atomic<bool> stop{false};
    std::atomic<int> cancels{0};
    auto canceller = start_canceller(victims, stop, cancels, 31337);
    for (int i = 1; i <= notifications; ++i) {
      n.notify_one();
      // A lost notification stalls here (and fails); a doubled one overshoots.
      synctest::eventually([&] { return woken.load() >= i; });
      REQUIRE(woken.load() == i);
    }
    stop = true;
    canceller.get();
    done = true;
    synctest::eventually([&] {
      n.notify_waiters(); // releases the waiters; stores no permit
      bool all = thread_finished.load();
      for (auto& w : workers) all = all && w.done();
      return all;
    });
    for (auto& w : workers) synctest::finish_worker(w);
    thread_waiter.join();
    CHECK(woken.load() == notifications);
    MESSAGE("cancels: ", cancels.load(), ", cancelled waits: ", cancelled_waits.load());
  }

} // TEST_SUITE
