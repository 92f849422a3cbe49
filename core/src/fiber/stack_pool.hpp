// Fiber stacks: a runtime-wide pool with a per-loop cache in front of it.
//
// A task gets a stack when it first runs and gives it back when it ends, so a
// million short tasks run on a handful of stacks. Stacks are never returned to
// the OS while the runtime lives: on a VM the first touch of a page costs
// 10-15 us and pages given back are reclaimed by the host, so recycling warm
// stacks is what keeps spawn-heavy work fast (docs/architecture.md, "Tasks are fibers").
//
// Two layouts:
//  - guarded: one mapping per stack, its lowest page PROT_NONE. An overflow
//    faults on the guard page; overflow.cpp turns the fault into a message
//    naming the task. Costs 2 kernel mappings per stack.
//  - slab: stacks carved from 64-stack slabs, one mapping per slab, no guard:
//    a million suspended tasks fit in ~16,000 mappings.
// With guard_pages = true (default) stacks are guarded up to a budget of a
// quarter of vm.max_map_count (65530 by default: ~16,000 stacks), leaving the
// rest for malloc, libraries and other runtimes; past it (or if the kernel
// refuses a guard anyway) new stacks come from slabs and a warning is logged
// once. So a program with 100,000 suspended tasks runs instead of failing,
// and an overflow in the first 16,000 stacks is still caught. guard_pages =
// false uses slabs only (fastest to map, and the mode for a million tasks).
// MAP_NORESERVE: only touched pages count; a 256 KiB stack typically uses 1-2.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

namespace coreio::detail {

struct Stack {
  void* lo = nullptr;     ///< lowest address (the guard page, if any)
  std::size_t len = 0;    ///< whole length including the guard
  std::size_t guard = 0;  ///< bytes of guard at `lo`
  [[nodiscard]] void* top() const noexcept { return static_cast<char*>(lo) + len; }
  [[nodiscard]] std::size_t usable() const noexcept { return len - guard; }
};

class StackPool {
public:
  StackPool(std::size_t stack_size, bool guard_pages);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  Stack acquire();
  void release(const Stack* stacks, std::size_t n);

  [[nodiscard]] std::size_t stack_len() const noexcept { return len_; }
  [[nodiscard]] bool guard_pages() const noexcept { return guard_; }
  [[nodiscard]] std::size_t mapped_stacks() const;

private:
  void map_guarded_locked();
  void map_slab_locked();

  std::size_t len_;
  bool guard_;
  std::size_t page_;
  mutable std::mutex mu_;
  std::vector<Stack> free_;
  std::vector<Stack> mappings_; ///< every mapping made (unmapped in the destructor)
  std::size_t mapped_stacks_ = 0;
  std::size_t guarded_ = 0;       ///< guarded stacks mapped so far
  std::size_t guard_budget_ = 0;  ///< most guarded stacks before falling back to slabs
  bool warned_ = false;
};

/// A loop's private stash of warm stacks (loop thread only).
class StackCache {
public:
  StackCache(StackPool& pool, std::size_t max) : pool_(pool), max_(max) { cache_.reserve(max); }
  ~StackCache() { pool_.release(cache_.data(), cache_.size()); }
  StackCache(const StackCache&) = delete;
  StackCache& operator=(const StackCache&) = delete;

  Stack get() {
    if (!cache_.empty()) {
      Stack s = cache_.back();
      cache_.pop_back();
      return s;
    }
    return pool_.acquire();
  }
  void put(const Stack& s) {
    if (cache_.size() >= max_) {
      // Hand half back so a loop that spawns and one that finishes tasks
      // (work stealing moves them) do not drain the pool into one cache.
      const std::size_t n = cache_.size() / 2;
      pool_.release(cache_.data() + cache_.size() - n, n);
      cache_.resize(cache_.size() - n);
    }
    cache_.push_back(s);
  }

private:
  StackPool& pool_;
  std::size_t max_;
  std::vector<Stack> cache_;
};

} // namespace coreio::detail
