// RunQueue under concurrent stealing, at a capacity of 4 so that wrap-around,
// "full" and steal-during-push happen constantly (STYLE.md 9). Every item
// pushed must come out exactly once, through the owner's pop or a steal.
#include "sched/run_queue.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

namespace {
struct Item {
  int id;
};

#if defined(COREIO_TSAN) || defined(COREIO_ASAN)
constexpr int items = 20'000;
#else
constexpr int items = 300'000;
#endif
} // namespace

TEST_SUITE("RunQueue") {

TEST_CASE("single-threaded FIFO, full and empty") {
  coreio::detail::RunQueue<Item, 4> q;
  Item it[5]{{0}, {1}, {2}, {3}, {4}};
  for (int i = 0; i < 4; ++i) CHECK(q.push(&it[i]));
  CHECK_FALSE(q.push(&it[4])); // full
  CHECK(q.peek() == &it[0]);
  for (int i = 0; i < 4; ++i) CHECK(q.pop() == &it[i]);
  CHECK(q.pop() == nullptr);
  CHECK(q.empty());
}

TEST_CASE("steal_into takes the larger half, oldest first") {
  coreio::detail::RunQueue<Item, 8> victim, thief;
  Item it[5]{{0}, {1}, {2}, {3}, {4}};
  for (auto& i : it) victim.push(&i);
  CHECK(victim.steal_into(thief) == 3);
  CHECK(thief.pop() == &it[0]);
  CHECK(thief.pop() == &it[1]);
  CHECK(thief.pop() == &it[2]);
  CHECK(victim.pop() == &it[3]);
  CHECK(victim.size() == 1);
}

TEST_CASE("every item is taken exactly once with two concurrent stealers at capacity 4") {
  using Q = coreio::detail::RunQueue<Item, 4>;
  Q owner_q;
  Q thief_q[2];
  std::vector<Item> pool(items);
  std::vector<std::atomic<int>> seen(items);
  for (int i = 0; i < items; ++i) pool[i].id = i;
  std::atomic<bool> done{false};
  std::atomic<long> taken{0};

  auto take = [&](Item* it) {
    seen[it->id].fetch_add(1, std::memory_order_relaxed);
    taken.fetch_add(1, std::memory_order_relaxed);
  };
  std::vector<std::thread> thieves;
  for (int k = 0; k < 2; ++k)
    thieves.emplace_back([&, k] {
      while (!done.load(std::memory_order_acquire) || !owner_q.empty()) {
        if (owner_q.steal_into(thief_q[k]) == 0) std::this_thread::yield();
        while (Item* it = thief_q[k].pop()) take(it);
      }
      while (Item* it = thief_q[k].pop()) take(it);
    });
  int next = 0;
  while (next < items) {
    if (owner_q.push(&pool[next])) ++next;
    else if (Item* it = owner_q.pop()) take(it); // full: consume locally, like overflow
    if ((next & 7) == 0)
      if (Item* it = owner_q.pop()) take(it);
  }
  done.store(true, std::memory_order_release);
  while (Item* it = owner_q.pop()) take(it);
  for (auto& t : thieves) t.join();
  CHECK(taken.load() == items);
  int dup = 0, lost = 0;
  for (auto& s : seen) {
    dup += s.load() > 1;
    lost += s.load() == 0;
  }
  CHECK(dup == 0);
  CHECK(lost == 0);
}

} // TEST_SUITE
