// Stealer (steal.hpp).
#include "sched/steal.hpp"

#include <algorithm>

#include "sched/idle.hpp"
#include "sched/injector.hpp"
#include "sched/loop_impl.hpp"
#include "sched/ready_queue.hpp"

namespace coreio::detail {

Stealer::Stealer(LoopImpl& owner, ReadyQueue& mine, Injector& injector, Idle& idle, LoopCounters& counters,
                 std::size_t index) noexcept
    : owner_(owner), mine_(mine), injector_(injector), idle_(idle), counters_(counters),
      rng_(0x9E3779B97F4A7C15ull * (index + 1)) {}

bool Stealer::pull_global() {
  const std::size_t queued = injector_.size();
  const std::size_t room = mine_.ring_room();
  if (queued == 0 || room == 0) return false;
  const std::size_t loops = victims_.size() + 1;
  const std::size_t want = std::min({global_batch_max, room, queued / loops + 1});
  TaskBase* first = nullptr;
  const std::size_t n = injector_.pop_batch(first, want);
  for (TaskBase* t = first; t;) {
    TaskBase* next = static_cast<TaskBase*>(t->qnext_);
    t->qnext_ = nullptr;
    t->loop_.store(&owner_, std::memory_order_relaxed);
    mine_.push_ring(t);
    t = next;
  }
  return n > 0;
}

std::size_t Stealer::random_start() noexcept {
  // xorshift64: a cheap random start so thieves spread over victims.
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  return rng_ % victims_.size();
}

bool Stealer::try_steal() {
  if (victims_.empty()) return false;
  bool found = pull_global();
  if (found || !idle_.try_begin_search()) return found;
  const std::size_t n = victims_.size();
  const std::size_t start = random_start();
  for (std::size_t i = 0; i < n && !found; ++i) {
    ReadyQueue& victim = *victims_[(start + i) % n];
    counters_.bump(counters_.steal_attempts);
    if (const std::size_t got = victim.steal_into(mine_)) {
      counters_.bump(counters_.steals);
      counters_.bump(counters_.tasks_stolen, got);
      found = true;
    }
  }
  if (!found) found = pull_global();
  mine_.note_ring_depth();
  if (idle_.end_search() && found) idle_.notify_one();
  return found;
}

} // namespace coreio::detail
