// Fiber stacks: a runtime-wide pool with a per-loop cache in front of it.
//
// A task gets a stack when it first runs and gives it back when it ends, so a
// million short tasks run on a handful of stacks. Stacks are never returned to
// the OS while the runtime lives: on a VM the first touch of a page costs
// 10-15 us and pages given back are reclaimed by the host, so recycling warm
// stacks is what keeps spawn-heavy work fast (docs/architecture.md, "Tasks are fibers").
//
// Every stack's overflow is caught and names the task; how depends on the layout:
//  - guarded: one mapping per stack, its lowest page PROT_NONE. An overflow
//    faults on the guard page at once; overflow.cpp turns the fault into a
//    message naming the task. Costs 2 kernel mappings per stack.
//  - slab: 256 stacks carved from one mapping with one PROT_NONE page at its
//    bottom (2 mappings per 256 stacks: a million stacks in ~8,000). Hardware
//    cannot guard each of them without a mapping each (a PROT_NONE page
//    splits the mapping), so a slab stack is checked in software: the top
//    `canary_bytes` of every slot hold a canary the slot's own fiber never
//    touches, and an overflow out of the slot above runs into it. The canary
//    below a task's stack is checked each time the task switches back to its
//    loop (a suspension or its end), and the SIGSEGV handler treats a fault
//    with the stack pointer below the task's stack as an overflow (the slab's
//    guard page, or whatever faults first on the way down). What this cannot
//    promise, and docs/tuning.md says: an overflow that returns before the
//    task's next suspension is reported then, after it may have overwritten
//    the frames of a suspended neighbour; and a frame larger than the canary
//    that straddles it without writing into it goes unseen until it faults.
// With guard_pages = true (default) stacks are guarded up to a budget of a
// quarter of vm.max_map_count (65530 by default: ~16,000 stacks), leaving the
// rest for malloc, libraries and other runtimes; past it (or if the kernel
// refuses a guard anyway) new stacks come from slabs and a warning is logged
// once. guard_pages = false uses slabs only (fastest to map, the mode for a
// million tasks). Raising vm.max_map_count raises the budget.
// MAP_NORESERVE: only touched pages count; a 256 KiB stack typically uses 1-2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace coreio::detail {

/// Stacks carved from one slab mapping.
inline constexpr std::size_t slab_stacks = 256;

/// Bytes at the top of every stack slot that its fiber never uses: a slab
/// stack's canary, checked by the task on the slot above (see the top).
inline constexpr std::size_t canary_bytes = 128;

struct Stack {
  void* lo = nullptr;     ///< lowest address (the guard page, if any)
  std::size_t len = 0;    ///< whole length including the guard
  std::size_t guard = 0; ///< bytes of guard at `lo` (0: a slab stack, canary-checked)
  /// Where the fiber starts: below the canary area of the slot.
  [[nodiscard]] void* top() const noexcept { return static_cast<char*>(lo) + len - canary_bytes; }
  /// Bytes the fiber may use, from its lowest usable address up to top().
  [[nodiscard]] std::size_t usable() const noexcept { return len - guard - canary_bytes; }
};

/// The canary word expected at address `at` (the address is mixed in so a
/// copied block of memory does not pass for a canary).
[[nodiscard]] inline std::uint64_t canary_word(const void* at) noexcept {
  return 0xC0E10C0DEFACADE5ULL ^ reinterpret_cast<std::uintptr_t>(at);
}

/// Writes the canary in the `canary_bytes` just below `lo` (the top of the
/// slot under a slab stack).
inline void write_canary_below(void* lo) noexcept {
  auto* w = reinterpret_cast<std::uint64_t*>(static_cast<char*>(lo) - canary_bytes);
  for (std::size_t i = 0; i < canary_bytes / sizeof(std::uint64_t); ++i) w[i] = canary_word(w + i);
}

/// True if the canary below slab stack `lo` is whole: nothing overflowed out
/// of it since the stack was handed out.
[[nodiscard]] inline bool canary_intact_below(const void* lo) noexcept {
  const auto* w = reinterpret_cast<const std::uint64_t*>(static_cast<const char*>(lo) - canary_bytes);
  std::uint64_t diff = 0;
  for (std::size_t i = 0; i < canary_bytes / sizeof(std::uint64_t); ++i) diff |= w[i] ^ canary_word(w + i);
  return diff == 0;
}

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
  /// The mapping holding `lo` (a stack of a task abandoned by a bounded
  /// shutdown, runtime.cpp) is never unmapped, not even by the destructor:
  /// the suspended fiber's frames stay readable for whoever still holds a
  /// pointer into them (a Waiter linked in a future's list).
  void keep_mapped(const void* lo);

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
