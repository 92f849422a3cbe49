#include "fiber/overflow.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "coreio/detail/task_base.hpp"

namespace coreio::detail {

namespace {

struct sigaction previous_action;

void write_str(const char* s) noexcept {
  const std::size_t n = std::strlen(s);
  [[maybe_unused]] ssize_t r = ::write(STDERR_FILENO, s, n);
}

void on_segv(int sig, siginfo_t* info, void* uctx) {
  TaskBase* t = current_task_base();
  const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  if (t && t->stack_lo_ && t->stack_guard_) {
    const auto lo = reinterpret_cast<std::uintptr_t>(t->stack_lo_);
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    // A fault within the guard page (or just below it: a large frame can skip it).
    if (addr + 64 * 1024 >= lo && addr < lo + page) {
      write_str("coreio: stack overflow in task '");
      if (const char* n = t->custom_name()) {
        write_str(n);
      } else {
        // "Task-<id>" without allocating (we are in a signal handler).
        char digits[24];
        char* p = digits + sizeof digits;
        *--p = '\0';
        std::uint64_t id = t->id();
        do { *--p = static_cast<char>('0' + id % 10); id /= 10; } while (id);
        write_str("Task-");
        write_str(p);
      }
      write_str("': raise RuntimeConfig::stack_size or reduce the task's stack use\n");
      ::signal(SIGABRT, SIG_DFL);
      ::abort();
    }
  }
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

void install_overflow_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa{};
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
