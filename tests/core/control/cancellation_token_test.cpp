#include "coreio/cancellation_token.hpp" // self-contained header first

#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;
using coreio::CancellationToken;
using coreio::CancelledError;
using coreio::testing::on_loop;
using coreio::testing::until;

TEST_SUITE("CancellationToken") {
  TEST_CASE("a new token is not cancelled and cancel() is idempotent") {
    CancellationToken t;
    CHECK_FALSE(t.is_cancelled());
    t.cancel();
    t.cancel();
    CHECK(t.is_cancelled());
    CancellationToken copy = t;
    CHECK(copy.is_cancelled());
    CHECK(copy == t);
  }

  TEST_CASE("cancelling a parent cancels its children and grandchildren, not the reverse") {
    CancellationToken root;
    CancellationToken child = root.child_token();
    CancellationToken grandchild = child.child_token();
    CancellationToken sibling = root.child_token();
    child.cancel();
    CHECK(child.is_cancelled());
    CHECK(grandchild.is_cancelled());
    CHECK_FALSE(root.is_cancelled());
    CHECK_FALSE(sibling.is_cancelled());
    root.cancel();
    CHECK(sibling.is_cancelled());
  }

  TEST_CASE("a child of a cancelled token starts cancelled") {
    CancellationToken root;
    root.cancel();
    CHECK(root.child_token().is_cancelled());
  }

  TEST_CASE("a dropped child leaves nothing in its parent") {
    CancellationToken root;
    for (int i = 0; i < 1000; ++i) {
      CancellationToken c = root.child_token();
      (void)c.child_token();
    }
    // The parent's only reference is the handle: children hold their parent,
    // never the reverse, so a leak would keep the parent's count above 1.
    CHECK(coreio::detail::Access::state_ref(root)->ref_count() == 1);
    CancellationToken kept = root.child_token();
    root.cancel();
    CHECK(kept.is_cancelled());
  }

  TEST_CASE("a child outliving its parent's handles is still cancelled through a surviving parent copy") {
    std::optional<CancellationToken> root{CancellationToken{}};
    CancellationToken copy = *root;
    CancellationToken child = root->child_token();
    root.reset();
    copy.cancel();
    CHECK(child.is_cancelled());
  }

  TEST_CASE("DropGuard cancels on scope exit unless disarmed") {
    CancellationToken a;
    CancellationToken b;
    {
      auto ga = a.drop_guard();
      auto gb = b.drop_guard();
      CancellationToken back = gb.disarm();
      CHECK(back == b);
    }
    CHECK(a.is_cancelled());
    CHECK_FALSE(b.is_cancelled());
  }

  TEST_CASE("cancelled() blocks a plain thread until another thread cancels") {
    CancellationToken t;
    std::atomic<bool> woke{false};
    std::thread waiter([&] {
      t.child_token().cancelled();
      woke.store(true);
    });
    std::this_thread::sleep_for(10ms);
    CHECK_FALSE(woke.load());
    t.cancel();
    waiter.join();
    CHECK(woke.load());
  }

  COREIO_TEST_CASE("cancelled() wakes tasks on every loop when the token is cancelled") {
    CancellationToken t;
    std::atomic<int> woke{0};
    std::vector<coreio::Task<void>> waiters;
    for (std::size_t i = 0; i < 4; ++i)
      waiters.push_back(coreio::create_task(
          [t, &woke] {
            t.cancelled();
            woke.fetch_add(1);
          },
          on_loop(i)));
    coreio::sleep(2ms);
    CHECK(woke.load() == 0);
    t.cancel();
    for (auto& w : waiters) w.get();
    CHECK(woke.load() == 4);
  }

  COREIO_TEST_CASE("cancelled() returns at once for a cancelled token") {
    CancellationToken t;
    t.cancel();
    t.cancelled();
    CHECK(t.is_cancelled());
  }

  COREIO_TEST_CASE("cancelling a task waiting in cancelled() raises there and leaves the token alone") {
    CancellationToken t;
    auto w = coreio::create_task([t] { t.cancelled(); }, on_loop(1));
    coreio::sleep(1ms);
    w.cancel();
    CHECK_THROWS_AS(w.get(), CancelledError);
    CHECK_FALSE(t.is_cancelled());
  }

  COREIO_TEST_CASE("run_until_cancelled returns the value when the work finishes first") {
    CancellationToken t;
    auto r = coreio::run_until_cancelled(t, [] {
      coreio::sleep(1ms);
      return 7;
    });
    REQUIRE(r.has_value());
    CHECK(*r == 7);
  }

  COREIO_TEST_CASE("run_until_cancelled returns nullopt after the work's cleanup has run") {
    CancellationToken t;
    std::atomic<bool> cleaned{false};
    auto canceller = coreio::create_task(
        [t] {
          coreio::sleep(2ms);
          t.cancel();
        },
        on_loop(1));
    auto r = coreio::run_until_cancelled(t, [&cleaned] {
      try {
        coreio::sleep(10s);
      } catch (const CancelledError&) {
        coreio::sleep(1ms); // cleanup that suspends
        cleaned.store(true);
        throw;
      }
      return 1;
    });
    CHECK_FALSE(r.has_value());
    CHECK(cleaned.load());
    canceller.get();
  }

  COREIO_TEST_CASE("run_until_cancelled never starts the work for a cancelled token") {
    CancellationToken t;
    t.cancel();
    bool ran = false;
    auto r = coreio::run_until_cancelled(t, [&ran] { ran = true; });
    CHECK_FALSE(r.has_value());
    coreio::sleep(1ms);
    CHECK_FALSE(ran);
  }

  COREIO_TEST_CASE("run_until_cancelled propagates the work's own exception") {
    CancellationToken t;
    CHECK_THROWS_AS(coreio::run_until_cancelled(t, []() -> int { throw std::runtime_error("boom"); }),
                    std::runtime_error);
  }

  COREIO_TEST_CASE("cancelling the caller of run_until_cancelled cancels and awaits the work") {
    CancellationToken t;
    std::atomic<bool> inner_cleaned{false};
    std::atomic<bool> started{false};
    auto outer = coreio::create_task(
        [&, t] {
          return coreio::run_until_cancelled(t, [&] {
            started.store(true);
            try {
              coreio::sleep(10s);
            } catch (const CancelledError&) {
              coreio::sleep(1ms);
              inner_cleaned.store(true);
              throw;
            }
          });
        },
        on_loop(1));
    until([&] { return started.load(); });
    outer.cancel();
    CHECK_THROWS_AS(outer.get(), CancelledError);
    CHECK(inner_cleaned.load());
    CHECK_FALSE(t.is_cancelled());
  }

  COREIO_TEST_CASE("a child token stops run_until_cancelled when its parent is cancelled") {
    CancellationToken root;
    CancellationToken child = root.child_token();
    auto work = coreio::create_task([child] { return coreio::run_until_cancelled(child, [] { coreio::sleep(10s); }); },
                                    on_loop(1));
    coreio::sleep(1ms);
    root.cancel();
    CHECK_FALSE(work.get().has_value());
  }

} // TEST_SUITE
