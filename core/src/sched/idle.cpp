// Idle (idle.hpp): searching and parked-loop accounting.
#include "sched/idle.hpp"

#include <algorithm>

#include "sched/loop_impl.hpp"

namespace coreio::detail {

bool Idle::try_begin_search() noexcept {
  std::size_t s = num_searching_.load(std::memory_order_relaxed);
  for (;;) {
    if (2 * s >= num_loops_) return false;
    // AcqRel: pairs with the load in notify_if_no_searchers() and end_search().
    if (num_searching_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_relaxed))
      return true;
  }
}

bool Idle::end_search() noexcept {
  // AcqRel: pairs with the load in notify_if_no_searchers().
  return num_searching_.fetch_sub(1, std::memory_order_acq_rel) == 1;
}

void Idle::notify_if_no_searchers() noexcept {
  // Relaxed loads: a stale answer only costs a redundant or a skipped
  // wake-up, and a skipped one is covered by the searcher or by rule 4.
  if (num_parked_.load(std::memory_order_relaxed) == 0) return;
  if (num_searching_.load(std::memory_order_relaxed) != 0) return;
  notify_one();
}

void Idle::notify_one() noexcept {
  LoopImpl* l = nullptr;
  {
    std::lock_guard g(mu_);
    if (parked_.empty()) return;
    l = parked_.back();
    parked_.pop_back();
    num_parked_.store(parked_.size(), std::memory_order_relaxed);
  }
  l->unpark();
}

void Idle::register_parked(LoopImpl* l) {
  std::lock_guard g(mu_);
  parked_.push_back(l);
  num_parked_.store(parked_.size(), std::memory_order_relaxed);
}

void Idle::unregister_parked(LoopImpl* l) {
  std::lock_guard g(mu_);
  if (auto it = std::find(parked_.begin(), parked_.end(), l); it != parked_.end()) parked_.erase(it);
  num_parked_.store(parked_.size(), std::memory_order_relaxed);
}

} // namespace coreio::detail
