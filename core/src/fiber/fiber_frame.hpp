// FiberFrame: a task's fiber bookkeeping, kept at the top of its own stack
// (fiber.hpp, "The fiber frame", says why). Made by make_fiber() on the
// task's first step, read by every switch (fiber.hpp, sched/loop_impl.hpp)
// and by the stack-overflow checks (overflow.cpp), dropped by release_fiber().
// Touched only by whoever runs the task's step (task_state_word.hpp rule 2).
#pragma once

#include "coreio/detail/task_base.hpp"
#include "fiber/stack_pool.hpp"

namespace coreio::detail {

/// A task's fiber bookkeeping, at the top of its stack.
struct FiberFrame {
  Stack stack; ///< the stack this frame sits on (returned to the cache at the end)
  void* caller = nullptr; ///< the loop's context while the task runs
  /// The task's own C++ exception-handling state while it is switched out
  /// (fiber_switch.hpp, swap_eh_state); the loop thread's while it runs.
  EhState eh;
  void* tsan_fiber = nullptr;
  void* asan_fake_stack = nullptr;
  /// Set by the fiber as its last act; the loop then frees the stack.
  bool done = false;
};

} // namespace coreio::detail
