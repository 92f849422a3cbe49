#include "fiber/overflow.hpp"

#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "coreio/detail/task_base.hpp"
#include "fiber/fiber_frame.hpp"
#include "fiber/stack_pool.hpp"

namespace coreio::detail {

namespace {

struct sigaction previous_action;

void write_str(const char* s) noexcept {
  const std::size_t n = std::strlen(s);
  [[maybe_unused]] ssize_t r = ::write(STDERR_FILENO, s, n);
}

/// The stack pointer of the interrupted code, 0 where this port cannot read it.
std::uintptr_t interrupted_sp(void* uctx) noexcept {
  const auto* uc = static_cast<const ucontext_t*>(uctx);
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.sp);
#else
  (void)uc;
  return 0;
#endif
}

/// True if a fault at `addr` with stack pointer `sp` is `t` running out of its stack.
bool is_overflow(const TaskBase& t, std::uintptr_t addr, std::uintptr_t sp) noexcept {
  if (!t.fiber_) return false;
  const Stack& s = t.fiber_->stack; // at the stack's top: intact when its bottom overflows
  const auto map_lo = reinterpret_cast<std::uintptr_t>(s.lo);
  const std::uintptr_t lo = map_lo + s.guard; // lowest usable byte
  constexpr std::uintptr_t near = std::uintptr_t{64} * 1024;
  // A fault within the guard page, or just below it: a large frame can skip it.
  if (s.guard && addr + near >= map_lo && addr < lo) return true;
  // A fault next to the stack pointer while the stack pointer is below the
  // stack: a slab stack ran through its neighbours into the slab's guard
  // page, or into something else that faults. Bounded to the slab's span
  // and to faults near the stack pointer, so a fault in code running on a
  // stack of its own (a nested coroutine library, say) is not mistaken for
  // an overflow.
  const std::uintptr_t span = slab_stacks * s.len + near;
  return sp != 0 && sp < lo && sp + span > lo && addr + near > sp && addr < sp + near;
}

void on_segv(int sig, siginfo_t* info, void* uctx) {
  if (const TaskBase* t = current_task_base();
      t && is_overflow(*t, reinterpret_cast<std::uintptr_t>(info->si_addr), interrupted_sp(uctx)))
    report_stack_overflow(*t, StackOverflowSeen::fault);
  // Not ours: hand over to whoever was installed before.
  if (previous_action.sa_flags & SA_SIGINFO) {
    if (previous_action.sa_sigaction) {
      previous_action.sa_sigaction(sig, info, uctx);
      return;
    }
  } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
    previous_action.sa_handler(sig);
    return;
  }
  // Default action: re-raise with the default disposition.
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

} // namespace

void report_stack_overflow(const TaskBase& t, StackOverflowSeen how) noexcept {
  write_str("coreio: stack overflow in task '");
  if (const char* n = t.custom_name()) {
    write_str(n);
  } else {
    // "Task-<id>" without allocating (this may run in a signal handler).
    char digits[24];
    char* p = digits + sizeof digits;
    *--p = '\0';
    std::uint64_t id = t.id();
    do {
      *--p = static_cast<char>('0' + id % 10);
      id /= 10;
    } while (id);
    write_str("Task-");
    write_str(p);
  }
  write_str("': raise RuntimeConfig::stack_size or reduce the task's stack use\n");
  if (how == StackOverflowSeen::canary)
    write_str(
        "coreio: (found when the task left its slab stack: the canary below it was overwritten, "
        "so a neighbouring task's stack may be corrupted too)\n");
  ::signal(SIGABRT, SIG_DFL);
  ::abort();
}

void check_slab_stack(const TaskBase& t) noexcept {
  const char* lo = static_cast<const char*>(t.fiber_->stack.lo);
  // The saved context lives at the task's stack pointer: below `lo`, the
  // stack has already overflowed.
  const char* sp = static_cast<const char*>(t.fctx_);
  if (sp < lo || !canary_intact_below(lo)) report_stack_overflow(t, StackOverflowSeen::canary);
}

void install_overflow_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGSEGV, &sa, &previous_action);
  });
}

void setup_thread_altstack() {
  // Keep an alternate stack someone else installed (ASan gives every thread
  // one and unmaps it itself at thread exit: replacing it would make ASan
  // unmap ours). The handler needs little room, so any existing one will do.
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;
  // 64 KiB: enough for the handler and for the default action's core dump path.
  constexpr std::size_t size = 64 * 1024;
  thread_local std::unique_ptr<char[]> altstack;
  if (altstack) return;
  altstack = std::make_unique<char[]>(size);
  stack_t ss{};
  ss.ss_sp = altstack.get();
  ss.ss_size = size;
  ::sigaltstack(&ss, nullptr);
}

} // namespace coreio::detail
