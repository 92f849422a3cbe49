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
constexpr std::size_t slab_stacks = 64;

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
    log().warn("coreio: {} guarded fiber stacks in use; further stacks have no guard page "
               "(vm.max_map_count). Set RuntimeConfig::guard_pages = false for very many live "
               "tasks, or raise vm.max_map_count to keep every stack guarded",
               guarded_);
  }
  // A guarded layout keeps its length (usable + one page) so a stack from
  // either kind fits every task; the extra page is simply unused.
  const std::size_t slab = len_ * slab_stacks;
  void* p = ::mmap(nullptr, slab, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "coreio: mmap of a stack slab failed");
  mappings_.push_back(Stack{p, slab, 0});
  // Push in reverse so stacks are handed out low address first.
  for (std::size_t i = slab_stacks; i-- > 0;) free_.push_back(Stack{static_cast<char*>(p) + i * len_, len_, 0});
  mapped_stacks_ += slab_stacks;
}

Stack StackPool::acquire() {
  std::lock_guard g(mu_);
  if (free_.empty()) {
    if (guard_ && guarded_ < guard_budget_) map_guarded_locked();
    else map_slab_locked();
  }
  Stack s = free_.back();
  free_.pop_back();
  return s;
}

void StackPool::release(const Stack* stacks, std::size_t n) {
  if (n == 0) return;
  std::lock_guard g(mu_);
  free_.insert(free_.end(), stacks, stacks + n);
}

std::size_t StackPool::mapped_stacks() const {
  std::lock_guard g(mu_);
  return mapped_stacks_;
}

} // namespace coreio::detail
