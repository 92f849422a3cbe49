// Fibers: the only code that jumps between a loop thread's own stack and a
// task's stack (Boost.Context's fcontext), with everything a switch must
// tell the C++ runtime and the sanitizers (fiber_switch.hpp).
//
// A task's fiber is made on its first step (make_fiber) on a stack from the
// loop's cache (stack_pool.hpp). A step is resume() on the loop side and
// switch_to_loop() on the task side; the fiber's last act is a final
// switch_to_loop() after setting `FiberFrame::done`, and the loop then
// returns the stack (release_fiber).
//
// # The fiber frame
// What only a running (or suspended) task needs lives in a FiberFrame at the
// top of its own stack, just below the canary: the stack's bounds, the
// loop's context to switch back to, the task's C++ exception-handling state
// and the sanitizers' per-fiber state. The task record keeps one pointer to
// it. A spawned task that has not run yet (a million of them, in spawn-heavy
// work) so carries none of it, and a running one keeps it in the stack page
// its frames touch anyway (DESIGN.md: "put it in its stack's top page once
// the task runs").
#pragma once

#include <cstddef>

#include <boost/context/detail/fcontext.hpp>

#include "coreio/detail/task_base.hpp"
#include "fiber/fiber_frame.hpp"
#include "fiber/fiber_switch.hpp"
#include "fiber/overflow.hpp"
#include "fiber/stack_pool.hpp"

namespace coreio::detail {

/// A loop thread's own context: what every task on it switches back to.
class ThreadContext {
public:
  /// On the loop thread, before its first switch.
  void init() noexcept;
  /// Loop side of a step: runs `t`'s fiber until it switches back.
  void resume(TaskBase& t) noexcept;
  /// Task side: leaves the running task's fiber for the loop thread that runs
  /// it now (the one it returns to may differ from the one it left). Defined
  /// inline in sched/loop_impl.hpp, which knows the current loop.
  static void switch_to_loop(TaskBase& t) noexcept;

private:
  void* tsan_fiber_ = nullptr; ///< this thread's own TSan fiber
  const void* stack_lo_ = nullptr; ///< for ASan switch annotations
  std::size_t stack_size_ = 0;
  void* asan_fake_stack_ = nullptr;
};

/// First step: gives `t` a new fiber on stack `s`; its first resume() runs the body.
void make_fiber(TaskBase& t, const Stack& s) noexcept;
/// After the fiber finished: returns its stack to `stacks` and drops the TSan fiber.
void release_fiber(TaskBase& t, StackCache& stacks);

// Inline: one per step, on the hot path.
inline void ThreadContext::resume(TaskBase& t) noexcept {
  FiberFrame& f = *t.fiber_;
  sanitizer::start_switch(&asan_fake_stack_, static_cast<char*>(f.stack.lo) + f.stack.guard,
                          f.stack.len - f.stack.guard);
  sanitizer::tsan_switch_to(f.tsan_fiber);
  swap_eh_state(f.eh); // the task's caught/uncaught exceptions in, this thread's out
  boost::context::detail::transfer_t back = boost::context::detail::jump_fcontext(t.fctx_, &t);
  swap_eh_state(f.eh); // and back: the task keeps its own until it runs again
  sanitizer::finish_switch(asan_fake_stack_);
  t.fctx_ = back.fctx;
  // A slab stack has no guard page of its own: now that the task is off its
  // stack (suspended or finished), check it did not run out of it
  // (stack_pool.hpp). Guarded stacks fault at once instead.
  if (f.stack.guard == 0) [[unlikely]]
    check_slab_stack(t);
}

} // namespace coreio::detail
