#include "coreio/select.hpp" // self-contained header first

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;
using coreio::CancelledError;
using coreio::testing::on_loop;
using coreio::testing::until;

namespace {

/// How many branches started their body, and how many of those finished a
/// cancellation cleanup. A branch cancelled before it starts never runs its
/// body (so has nothing to clean up): losers must satisfy cleaned == started.
struct Counts {
  std::atomic<int> started{0};
  std::atomic<int> cleaned{0};
  int load() const { return cleaned.load(); }
  int losers_started(int winners) const { return started.load() - winners; }
};

/// A branch that sleeps `d` and returns v; on cancellation it suspends once
/// more (a cleanup that takes time) and counts itself in `cleaned`.
auto slow_branch(std::chrono::milliseconds d, int v, std::shared_ptr<Counts> counts) {
  return [d, v, cleaned = counts] {
    cleaned->started.fetch_add(1);
    try {
      coreio::sleep(d);
    } catch (const CancelledError&) {
      coreio::sleep(1ms);
      cleaned->cleaned.fetch_add(1);
      throw;
    }
    return v;
  };
}

} // namespace

TEST_SUITE("select") {
  COREIO_TEST_CASE("the first branch to finish wins and the losers have finished their cleanup") {
    auto cleaned = std::make_shared<Counts>();
    auto r = coreio::select(slow_branch(10s, 1, cleaned), slow_branch(1ms, 2, cleaned), slow_branch(10s, 3, cleaned));
    REQUIRE(r.index() == 1);
    CHECK(std::get<1>(r) == 2);
    CHECK(cleaned->load() == cleaned->losers_started(1));
  }

  COREIO_TEST_CASE("branches of different types give a variant with one alternative per branch") {
    auto r = coreio::select([] { coreio::sleep(10s); }, [] { return std::string("fast"); });
    static_assert(std::is_same_v<decltype(r), std::variant<std::monostate, std::string>>);
    REQUIRE(r.index() == 1);
    CHECK(std::get<1>(r) == "fast");
  }

  COREIO_TEST_CASE("a timeout branch wins over slow work") {
    auto cleaned = std::make_shared<Counts>();
    auto r = coreio::select(slow_branch(10s, 1, cleaned), [] { coreio::sleep(2ms); });
    CHECK(r.index() == 1);
    CHECK(cleaned->load() == cleaned->losers_started(0));
  }

  COREIO_TEST_CASE("branches already done resolve to the lowest index") {
    coreio::Future<int> a;
    coreio::Future<int> b;
    b.set_result(2);
    a.set_result(1);
    auto r = coreio::select(b, a);
    REQUIRE(r.index() == 0);
    CHECK(std::get<0>(r) == 2);
  }

  COREIO_TEST_CASE("tasks on other loops can win and lose") {
    auto cleaned = std::make_shared<Counts>();
    auto loser = coreio::create_task(slow_branch(10s, 1, cleaned), on_loop(1));
    auto winner = coreio::create_task(slow_branch(1ms, 2, cleaned), on_loop(0));
    auto r = coreio::select(loser, winner);
    REQUIRE(r.index() == 1);
    CHECK(std::get<1>(r) == 2);
    CHECK(loser.cancelled());
    CHECK(cleaned->load() == cleaned->losers_started(1));
  }

  COREIO_TEST_CASE("a failing winner raises its exception after the losers finished") {
    auto cleaned = std::make_shared<Counts>();
    CHECK_THROWS_AS(coreio::select(slow_branch(10s, 1, cleaned),
                                   []() -> int {
                                     coreio::sleep(1ms);
                                     throw std::runtime_error("boom");
                                   }),
                    std::runtime_error);
    CHECK(cleaned->load() == cleaned->losers_started(0));
  }

  COREIO_TEST_CASE("a loser that swallows its cancellation has its value dropped") {
    auto r = coreio::select(
        [] {
          try {
            coreio::sleep(10s);
          } catch (const CancelledError&) {
            return -1;
          }
          return 0;
        },
        [] { return 5; });
    REQUIRE(r.index() == 1);
    CHECK(std::get<1>(r) == 5);
  }

  COREIO_TEST_CASE("cancelling the selecting task cancels and awaits every branch, then raises") {
    auto cleaned = std::make_shared<Counts>();
    std::atomic<bool> selecting{false};
    auto selector = coreio::create_task(
        [&selecting, cleaned] {
          selecting.store(true);
          auto r = coreio::select(slow_branch(10s, 1, cleaned), slow_branch(10s, 2, cleaned));
          return static_cast<int>(r.index());
        },
        on_loop(1));
    until([&] { return selecting.load(); });
    coreio::sleep(1ms);
    selector.cancel();
    CHECK_THROWS_AS(selector.get(), CancelledError);
    CHECK(cleaned->load() == cleaned->losers_started(0));
  }

  COREIO_TEST_CASE("a cancel arriving while the losers unwind is kept for the next suspension point") {
    std::atomic<bool> unwinding{false};
    std::atomic<bool> release{false};
    std::atomic<int> stage{0};
    auto selector = coreio::create_task(
        [&] {
          auto r = coreio::select(
              [&] {
                try {
                  coreio::sleep(10s);
                } catch (const CancelledError&) {
                  unwinding.store(true);
                  while (!release.load()) coreio::sleep(100us);
                  throw;
                }
              },
              [] { coreio::sleep(1ms); });
          stage.store(static_cast<int>(r.index()) + 1); // select returned its winner
          coreio::sleep(10s); // the kept cancel lands here
          stage.store(-1);
        },
        on_loop(1));
    until([&] { return unwinding.load(); });
    selector.cancel();
    coreio::sleep(1ms);
    release.store(true);
    CHECK_THROWS_AS(selector.get(), CancelledError);
    CHECK(stage.load() == 2);
  }

  COREIO_TEST_CASE("futures passed in are cancelled when they lose") {
    coreio::Future<int> never;
    auto r = coreio::select(never, [] { return 1; });
    CHECK(r.index() == 1);
    CHECK(never.cancelled());
  }

} // TEST_SUITE
