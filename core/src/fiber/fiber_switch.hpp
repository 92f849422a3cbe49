// What every fiber switch must tell the C++ runtime and the sanitizers.
//
// The C++ runtime keeps its exception-handling state (the caught-exception
// stack behind `throw;` and std::current_exception(), and the uncaught count
// behind std::uncaught_exceptions()) in a thread-local (__cxa_eh_globals).
// A task that suspends inside a catch block would otherwise leave its caught
// exception on the loop thread's stack, where the next task's catch blocks
// push and pop over it, and a migrated task would resume reading another
// thread's. swap_eh_state() makes that state per fiber: the loop swaps it in
// before jumping to a task and out again when the task switches back.
//
// ASan must be told when the stack changes, or it reports false stack
// overflows / use-after-return on every switch; TSan must be told which
// logical thread (fiber) runs, or it merges the histories of every task on a
// loop thread and misses (or invents) races. Seastar annotates its own switches
// the same way (src/core/thread.cc). Every Boost.Context jump in coreio goes
// through ThreadContext (fiber.hpp), which calls these.
#pragma once

#include <cstddef>
#include <utility>

#include <cxxabi.h>

#include "coreio/detail/task_base.hpp"

#if defined(COREIO_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(COREIO_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace coreio::detail {

/// Exchanges the calling thread's exception-handling state with `saved`.
/// Called on the loop thread right before jumping to a task (task state in,
/// the thread's out) and right after the task switches back (the reverse).
inline void swap_eh_state(EhState& saved) noexcept {
  // __cxa_get_globals() has the Itanium ABI layout mirrored by EhState.
  auto* globals = reinterpret_cast<EhState*>(abi::__cxa_get_globals());
  std::swap(*globals, saved);
}

} // namespace coreio::detail

namespace coreio::detail::sanitizer {

/// Before leaving the current stack for [bottom, bottom+size).
/// `fake_stack_save` receives ASan's fake stack of the stack being left
/// (nullptr when that stack is finishing for good).
inline void start_switch(void** fake_stack_save, const void* bottom, std::size_t size) noexcept {
#if defined(COREIO_ASAN)
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
#else
  (void)fake_stack_save, (void)bottom, (void)size;
#endif
}

/// First thing after arriving on a stack. `fake_stack_save` is what this
/// stack saved when it was left.
inline void finish_switch(void* fake_stack_save) noexcept {
#if defined(COREIO_ASAN)
  const void* old_bottom = nullptr;
  std::size_t old_size = 0;
  __sanitizer_finish_switch_fiber(fake_stack_save, &old_bottom, &old_size);
#else
  (void)fake_stack_save;
#endif
}

/// A recycled stack starts with no live frames: forget the shadow left by
/// its previous fibers. A finished fiber's last frames (fiber_entry, the
/// final switch) never return, so their redzones stay poisoned, and a frame
/// of a new fiber at those addresses would be reported as a stack overflow.
inline void unpoison_stack(void* lo, std::size_t size) noexcept {
#if defined(COREIO_ASAN)
  __asan_unpoison_memory_region(lo, size);
#else
  (void)lo, (void)size;
#endif
}

inline void* tsan_current_fiber() noexcept {
#if defined(COREIO_TSAN)
  return __tsan_get_current_fiber();
#else
  return nullptr;
#endif
}
inline void* tsan_create_fiber() noexcept {
#if defined(COREIO_TSAN)
  return __tsan_create_fiber(0);
#else
  return nullptr;
#endif
}
inline void tsan_destroy_fiber(void* f) noexcept {
#if defined(COREIO_TSAN)
  if (f) __tsan_destroy_fiber(f);
#else
  (void)f;
#endif
}
/// Called right before the jump to `f`. Flag 0: TSan orders the switch, so
/// what the old fiber did happens-before what the new one does.
inline void tsan_switch_to(void* f) noexcept {
#if defined(COREIO_TSAN)
  __tsan_switch_to_fiber(f, 0);
#else
  (void)f;
#endif
}

} // namespace coreio::detail::sanitizer
