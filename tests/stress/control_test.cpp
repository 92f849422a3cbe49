// Control primitives under cross-loop races: every item counted in and out.
//
// JoinSet: tasks finish on every loop while several joiners on different
// loops call join_next() and a canceller keeps cancelling those joiners (so a
// joiner is often cancelled just after it was handed a wake-up). Each task's
// outcome must be joined exactly once: none lost, none duplicated.
// CancellationToken: waiters on child tokens on every loop and on plain
// threads, children created and dropped concurrently, the root cancelled from
// a plain thread: every waiter wakes, and the root holds no dropped child.
// select: selectors on every loop whose branches finish on other loops while
// the selectors are being cancelled: when select() returns or raises, every
// branch it started has finished.
//
// Size: COREIO_CONTROL_STRESS_ROUNDS (default 200; 20 under TSan).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "coreio/cancellation_token.hpp"
#include "coreio/coreio.hpp"
#include "coreio/join_set.hpp"
#include "coreio/select.hpp"
#include "coreio_test.hpp"

#if defined(__SANITIZE_THREAD__)
#define COREIO_CONTROL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define COREIO_CONTROL_TSAN 1
#endif
#endif

namespace {

using namespace std::chrono_literals;
using coreio::CancelledError;

int rounds() {
  if (const char* env = std::getenv("COREIO_CONTROL_STRESS_ROUNDS")) return std::max(1, std::atoi(env));
#ifdef COREIO_CONTROL_TSAN
  return 20;
#else
  return 200;
#endif
}

coreio::TaskOptions on(std::size_t i) {
  coreio::Runtime& rt = coreio::get_running_loop().runtime();
  return {.loop = &rt.loop(i % rt.num_loops())};
}

/// A short, varied body: returns at once, yields, or sleeps a few microseconds.
void jitter(unsigned seed) {
  switch (seed % 3) {
  case 0: break;
  case 1: coreio::sleep(0s); break;
  default: coreio::sleep(std::chrono::microseconds(seed % 50)); break;
  }
}

/// One JoinSet round: `n` tasks, `joiners` joiner tasks, one canceller.
void join_set_round(int round, int n, std::size_t joiners) {
  coreio::JoinSet<int> set;
  auto seen = std::make_shared<std::vector<std::atomic<int>>>(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    set.spawn(
        [i, round] {
          jitter(static_cast<unsigned>(i * 7 + round));
          return i;
        },
        on(static_cast<std::size_t>(i)));
  std::atomic<int> joined{0};
  std::atomic<bool> finished{false};
  // A joiner loops until the set is empty; when cancelled it starts again
  // (the loop below respawns it), as a cancelled join_next() consumes nothing.
  auto make_joiner = [&](std::size_t loop) {
    return coreio::create_task(
        [&, seen] {
          while (auto r = set.join_next()) {
            seen->at(static_cast<std::size_t>(r->value())).fetch_add(1, std::memory_order_relaxed);
            joined.fetch_add(1, std::memory_order_relaxed);
          }
        },
        on(loop));
  };
  std::mutex mu; // guards js: the canceller reads it from another loop
  std::vector<coreio::Task<void>> js;
  for (std::size_t j = 0; j < joiners; ++j) js.push_back(make_joiner(j));
  auto canceller = coreio::create_task(
      [&] {
        std::minstd_rand rng(static_cast<unsigned>(round));
        while (!finished.load(std::memory_order_relaxed)) {
          coreio::Task<void> victim;
          {
            std::lock_guard g(mu);
            victim = js[rng() % js.size()];
          }
          victim.cancel();
          coreio::sleep(std::chrono::microseconds(rng() % 30));
        }
      },
      on(1));
  while (joined.load() < n) {
    for (std::size_t j = 0; j < joiners; ++j) {
      coreio::Task<void> t;
      {
        std::lock_guard g(mu);
        t = js[j];
      }
      t.wait();
      if (t.cancelled() && joined.load() < n) {
        std::lock_guard g(mu);
        js[j] = make_joiner(j);
      }
    }
  }
  finished.store(true);
  canceller.get();
  for (auto& j : js) j.wait();
  CHECK(set.empty());
  for (int i = 0; i < n; ++i) REQUIRE_MESSAGE(seen->at(static_cast<std::size_t>(i)).load() == 1, "task ", i);
}

void token_round(int round, std::size_t waiters) {
  coreio::CancellationToken root;
  std::atomic<std::size_t> woke{0};
  std::vector<coreio::Task<void>> ts;
  for (std::size_t i = 0; i < waiters; ++i)
    ts.push_back(coreio::create_task(
        [&woke, child = root.child_token(), i] {
          if (i % 2) child.child_token().cancelled();
          else child.cancelled();
          woke.fetch_add(1);
        },
        on(i)));
  // Children created and dropped while the root is cancelled.
  auto churn = coreio::create_task(
      [root] {
        for (int k = 0; k < 200 && !root.is_cancelled(); ++k) {
          auto c = root.child_token();
          if (k % 8 == 0) coreio::sleep(0s);
        }
      },
      on(static_cast<std::size_t>(round)));
  std::thread plain_waiter([&woke, t = root.child_token()] {
    t.cancelled();
    woke.fetch_add(1);
  });
  std::thread canceller([root, round] {
    std::this_thread::sleep_for(std::chrono::microseconds(round % 40));
    root.cancel();
  });
  for (auto& t : ts) t.get();
  churn.get();
  canceller.join();
  plain_waiter.join();
  CHECK(woke.load() == waiters + 1);
  CHECK(coreio::detail::Access::state_ref(root)->ref_count() == 1);
}

void select_round(int round, std::size_t selectors) {
  std::vector<coreio::Task<void>> ts;
  auto started = std::make_shared<std::atomic<int>>(0);
  auto ended = std::make_shared<std::atomic<int>>(0);
  auto branch = [started, ended](unsigned seed) {
    return [started, ended, seed] {
      started->fetch_add(1);
      struct Count {
        std::atomic<int>& n;
        ~Count() { n.fetch_add(1); }
      } count{*ended};
      jitter(seed);
      return static_cast<int>(seed);
    };
  };
  auto violations = std::make_shared<std::atomic<int>>(0);
  for (std::size_t s = 0; s < selectors; ++s)
    ts.push_back(coreio::create_task(
        [=] {
          auto a = coreio::create_task(branch(static_cast<unsigned>(round + s)), on(s + 1));
          auto b = coreio::create_task(branch(static_cast<unsigned>(round * 3 + s)), on(s));
          try {
            (void)coreio::select(a, b, branch(static_cast<unsigned>(s)));
          } catch (const CancelledError&) {
            if (!a.done() || !b.done()) violations->fetch_add(1);
            throw;
          }
          if (!a.done() || !b.done()) violations->fetch_add(1);
        },
        on(s)));
  std::minstd_rand rng(static_cast<unsigned>(round));
  for (auto& t : ts)
    if (rng() % 2) t.cancel();
  for (auto& t : ts) t.wait();
  CHECK(violations->load() == 0);
  // Every branch that started has ended (branches cancelled before they
  // started never run their body).
  CHECK(started->load() == ended->load());
}

} // namespace

TEST_SUITE("control stress") {
  COREIO_TEST_CASE("JoinSet hands every completion to exactly one joiner while joiners are cancelled") {
    const int n = rounds();
    for (int r = 0; r < n; ++r) join_set_round(r, 32, 3);
  }

  COREIO_TEST_CASE("CancellationToken wakes every waiter and keeps no dropped child") {
    const int n = rounds();
    for (int r = 0; r < n; ++r) token_round(r, 8);
  }

  COREIO_TEST_CASE("select finishes every branch before it returns or raises") {
    const int n = rounds();
    for (int r = 0; r < n; ++r) select_round(r, 6);
  }

} // TEST_SUITE
