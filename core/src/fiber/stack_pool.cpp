#include "fiber/stack_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <new>
#include <system_error>

#include "fiber/fiber_switch.hpp"
#include "runtime/log.hpp"

namespace coreio::detail {

namespace {
std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

std::size_t max_map_count() {
  std::ifstream f("/proc/sys/vm/max_map_count");
  std::size_t n = 0;
  if (f >> n && n > 0) return n;
  return 65530; // the kernel default
}
} // namespace

StackPool::StackPool(std::size_t stack_size, bool guard_pages)
    : guard_(guard_pages), page_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))) {
  // 16 KiB minimum: the fiber entry frame, exception unwinding and spdlog need room.
  const std::size_t usable = round_up(stack_size < 16 * 1024 ? 16 * 1024 : stack_size, page_);
  len_ = usable + (guard_ ? page_ : 0);
  // Each guarded stack is 2 mappings; spend at most half the map count on them.
  guard_budget_ = guard_ ? max_map_count() / 4 : 0;
}

StackPool::~StackPool() {
  for (const Stack& m : mappings_) {
    // ASan keeps the shadow of unmapped memory: a stack's leftover frame
    // redzones would poison whatever is mapped there next (an io_uring ring
    // of the next runtime was reported as a stack-buffer-underflow).
    sanitizer::unpoison_stack(m.lo, m.len);
    ::munmap(m.lo, m.len);
  }
}

void StackPool::map_guarded_locked() {
  const int prot = PROT_READ | PROT_WRITE;
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK;
  void* p = ::mmap(nullptr, len_, prot, flags, -1, 0);
  if (p != MAP_FAILED && ::mprotect(p, page_, PROT_NONE) == 0) {
    mappings_.push_back(Stack{p, len_, page_});
    free_.push_back(Stack{p, len_, page_});
    ++mapped_stacks_;
    ++guarded_;
    return;
  }
  if (p != MAP_FAILED) ::munmap(p, len_);
  // The kernel refused (typically vm.max_map_count): stop guarding.
  guard_budget_ = guarded_;
  map_slab_locked();
}

void StackPool::map_slab_locked() {
  if (guard_ && !warned_) {
    warned_ = true;
    log().warn(
        "coreio: {} guarded fiber stacks in use, the budget for vm.max_map_count; further stacks "
        "come from slabs, where an overflow is caught by a canary at the task's next suspension "
        "(or when it faults) instead of at once. Raise vm.max_map_count to keep every stack "
        "guarded, or set RuntimeConfig::guard_pages = false to say slab stacks are intended",
        guarded_);
  }
  // One PROT_NONE page at the bottom, then the slots. A guarded layout keeps
  // its length (usable + one page) so a stack from either kind fits every
  // task; the extra page is simply unused.
  const std::size_t slab = page_ + len_ * slab_stacks;
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK;
  char* p = static_cast<char*>(::mmap(nullptr, slab, PROT_READ | PROT_WRITE, flags, -1, 0));
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "coreio: mmap of a stack slab failed");
  mappings_.push_back(Stack{p, slab, 0});
  const bool guarded_bottom = ::mprotect(p, page_, PROT_NONE) == 0;
  // Slot 0 sits on the guard page and counts as guarded: nothing lies below
  // it to hold a canary. If the kernel refused even this one guard, slot 0
  // is left unused: a buffer whose top holds the canary for slot 1.
  // Pushed in reverse so stacks are handed out low address first.
  for (std::size_t i = slab_stacks; i-- > 1;) free_.push_back(Stack{p + page_ + i * len_, len_, 0});
  if (guarded_bottom) free_.push_back(Stack{p, page_ + len_, page_});
  mapped_stacks_ += guarded_bottom ? slab_stacks : slab_stacks - 1;
}

Stack StackPool::acquire() {
  std::lock_guard g(mu_);
  if (free_.empty()) {
    if (guard_ && guarded_ < guard_budget_) map_guarded_locked();
    else map_slab_locked();
  }
  Stack s = free_.back();
  free_.pop_back();
  // The slot below a slab stack may never have been handed out: give it its
  // canary now (idempotent; no fiber ever writes its own slot's top bytes).
  if (s.guard == 0) write_canary_below(s.lo);
  return s;
}

void StackPool::release(const Stack* stacks, std::size_t n) {
  if (n == 0) return;
  std::lock_guard g(mu_);
  free_.insert(free_.end(), stacks, stacks + n);
}

void StackPool::keep_mapped(const void* lo) {
  std::lock_guard g(mu_);
  const auto* p = static_cast<const char*>(lo);
  std::erase_if(mappings_, [p](const Stack& m) {
    const auto* b = static_cast<const char*>(m.lo);
    return p >= b && p < b + m.len;
  });
}

std::size_t StackPool::mapped_stacks() const {
  std::lock_guard g(mu_);
  return mapped_stacks_;
}

} // namespace coreio::detail
