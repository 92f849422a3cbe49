#include "coreio/join_set.hpp" // self-contained header first

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;
using coreio::CancelledError;
using coreio::JoinSet;
using coreio::testing::on_loop;
using coreio::testing::until;

TEST_SUITE("JoinSet") {
  COREIO_TEST_CASE("join_next returns outcomes in completion order, then nullopt") {
    // Spawned in the order 3, 1, 2; each child waits for its own release, and
    // the test releases them 1, 2, 3 (no timing race: a child finishes only
    // once released). join_next must hand out whichever finished, never the
    // first spawned.
    JoinSet<int> set;
    coreio::Future<int> go1, go2, go3;
    set.spawn([go3] { return go3.get(); });
    set.spawn([go1] { return go1.get(); });
    set.spawn([go2] { return go2.get(); });
    CHECK(set.size() == 3);
    std::vector<int> got;
    go1.set_result(1);
    if (auto r = set.join_next()) got.push_back(r->value());
    CHECK(set.size() == 2);
    go2.set_result(2);
    if (auto r = set.join_next()) got.push_back(r->value());
    go3.set_result(3);
    while (auto r = set.join_next()) got.push_back(r->value());
    CHECK(got == std::vector<int>{1, 2, 3});
    CHECK(set.empty());
    CHECK_FALSE(set.join_next().has_value());
  }

  COREIO_TEST_CASE("children on every loop are each joined exactly once") {
    JoinSet<int> set;
    const int n = 64;
    for (int i = 0; i < n; ++i)
      set.spawn(
          [i] {
            if (i % 3 == 0) coreio::sleep(std::chrono::microseconds(50 * (i % 7)));
            return i;
          },
          on_loop(static_cast<std::size_t>(i)));
    std::multiset<int> seen;
    while (auto r = set.join_next()) seen.insert(r->value());
    REQUIRE(seen.size() == n);
    for (int i = 0; i < n; ++i) CHECK(seen.count(i) == 1);
  }

  COREIO_TEST_CASE("spawn_on runs the task on the given loop") {
    JoinSet<std::size_t> set;
    coreio::Runtime& rt = coreio::get_running_loop().runtime();
    coreio::Loop& target = rt.loop(rt.num_loops() - 1);
    set.spawn_on(target, [] { return coreio::get_running_loop().index(); });
    auto r = set.join_next();
    REQUIRE(r.has_value());
    CHECK(r->value() == target.index());
  }

  COREIO_TEST_CASE("a failed child surfaces its exception and the others keep running") {
    JoinSet<int> set;
    coreio::Future<int> go; // the second child finishes only after the first was joined
    set.spawn([]() -> int { throw std::runtime_error("boom"); });
    set.spawn([go] { return go.get(); });
    auto first = set.join_next();
    REQUIRE(first.has_value());
    CHECK(first->holds<std::runtime_error>());
    CHECK_THROWS_AS(first->value(), std::runtime_error);
    go.set_result(5);
    auto second = set.join_next();
    REQUIRE(second.has_value());
    CHECK(second->value() == 5);
  }

  COREIO_TEST_CASE("an aborted child surfaces as cancelled") {
    JoinSet<int> set;
    coreio::AbortHandle h = set.spawn([] {
      coreio::sleep(10s);
      return 1;
    });
    CHECK_FALSE(h.is_finished());
    CHECK(h.abort());
    auto r = set.join_next();
    REQUIRE(r.has_value());
    CHECK(r->cancelled());
    CHECK(h.is_finished());
    CHECK_FALSE(h.abort());
  }

  COREIO_TEST_CASE("try_join_next never waits") {
    JoinSet<int> set;
    CHECK_FALSE(set.try_join_next().has_value());
    coreio::Future<int> go; // the child cannot finish before the checks below
    set.spawn([go] { return go.get(); });
    CHECK_FALSE(set.try_join_next().has_value());
    CHECK(set.size() == 1);
    go.set_result(9);
    until([&] { return set.size() == 1 && set.try_join_next().has_value(); });
    CHECK(set.empty());
  }

  COREIO_TEST_CASE("abort_all cancels every child and each outcome still comes out") {
    JoinSet<void> set;
    for (std::size_t i = 0; i < 6; ++i) set.spawn([] { coreio::sleep(10s); }, on_loop(i));
    coreio::sleep(1ms);
    set.abort_all();
    int cancelled = 0;
    while (auto r = set.join_next()) cancelled += r->cancelled();
    CHECK(cancelled == 6);
  }

  COREIO_TEST_CASE("a child that swallows the abort reports its value") {
    JoinSet<int> set;
    std::atomic<bool> started{false};
    set.spawn([&started] {
      started.store(true);
      try {
        coreio::sleep(10s);
      } catch (const CancelledError&) {
        return 42;
      }
      return 0;
    });
    until([&] { return started.load(); });
    set.abort_all();
    auto r = set.join_next();
    REQUIRE(r.has_value());
    CHECK(r->value() == 42);
  }

  COREIO_TEST_CASE("detach_all forgets the children without cancelling them") {
    JoinSet<int> set;
    auto done = std::make_shared<std::atomic<bool>>(false);
    set.spawn([done] {
      coreio::sleep(2ms);
      done->store(true);
      return 1;
    });
    set.detach_all();
    CHECK(set.empty());
    CHECK_FALSE(set.join_next().has_value());
    until([&] { return done->load(); });
  }

  COREIO_TEST_CASE("detach_all wakes a joiner waiting on the set") {
    JoinSet<int> set;
    coreio::AbortHandle child = set.spawn([] {
      coreio::sleep(10s);
      return 1;
    });
    std::atomic<bool> waiting{false};
    auto joiner = coreio::create_task(
        [&] {
          waiting.store(true);
          return set.join_next().has_value();
        },
        on_loop(1));
    until([&] { return waiting.load(); });
    coreio::sleep(1ms);
    set.detach_all();
    CHECK_FALSE(joiner.get());
    CHECK_FALSE(child.is_finished()); // detached, not cancelled
    child.abort();
  }

  COREIO_TEST_CASE("shutdown aborts every child and waits until all have finished") {
    JoinSet<int> set;
    std::atomic<int> cleaned{0};
    std::atomic<int> started{0};
    for (std::size_t i = 0; i < 4; ++i)
      set.spawn(
          [&cleaned, &started] {
            started.fetch_add(1);
            try {
              coreio::sleep(10s);
            } catch (const CancelledError&) {
              coreio::sleep(1ms);
              cleaned.fetch_add(1);
              throw;
            }
            return 0;
          },
          on_loop(i));
    until([&] { return started.load() == 4; });
    set.shutdown();
    CHECK(cleaned.load() == 4);
    CHECK(set.empty());
  }

  COREIO_TEST_CASE("the destructor cancels what is left") {
    std::vector<coreio::AbortHandle> handles;
    {
      JoinSet<int> set;
      for (std::size_t i = 0; i < 3; ++i)
        handles.push_back(set.spawn(
            [] {
              coreio::sleep(10s);
              return 1;
            },
            on_loop(i)));
    }
    until([&] { return std::all_of(handles.begin(), handles.end(), [](auto& h) { return h.is_finished(); }); });
  }

  COREIO_TEST_CASE("a cancelled joiner loses no completion: the next join_next gets it") {
    JoinSet<int> set;
    set.spawn(
        [] {
          coreio::sleep(2ms);
          return 11;
        },
        on_loop(1));
    auto joiner = coreio::create_task([&set] { return set.join_next(); }, on_loop(0));
    coreio::sleep(1ms);
    joiner.cancel();
    std::optional<coreio::Result<int>> got;
    try {
      got = joiner.get();
    } catch (const CancelledError&) {}
    if (!got) got = set.join_next();
    REQUIRE(got.has_value());
    CHECK(got->value() == 11);
    CHECK_FALSE(set.join_next().has_value());
  }

  COREIO_TEST_CASE("AbortHandle from an existing Task cancels it") {
    auto t = coreio::create_task([] { coreio::sleep(10s); });
    coreio::AbortHandle h(t);
    CHECK(h.id() == t.handle().id());
    CHECK(h.abort());
    CHECK_THROWS_AS(t.get(), CancelledError);
    CHECK(h.is_finished());
  }

  TEST_CASE("a JoinSet can be joined from a plain thread") {
    coreio::Runtime rt({.loops = 2});
    JoinSet<int> set;
    set.spawn_on(rt.loop(1), [] {
      coreio::sleep(1ms);
      return 3;
    });
    auto r = set.join_next();
    REQUIRE(r.has_value());
    CHECK(r->value() == 3);
  }

} // TEST_SUITE
