// Fibers (fiber.hpp): make, resume, switch back, release.
#include "fiber/fiber.hpp"

#include <pthread.h>

#include <boost/context/detail/fcontext.hpp>

#include "coreio/task.hpp"
#include "fiber/fiber_switch.hpp"
#include "runtime/log.hpp"
#include "sched/loop_impl.hpp"

namespace ctx = boost::context::detail;

namespace coreio::detail {

namespace {
/// Entry of every task fiber. Runs the body, then jumps back for good.
[[noreturn]] void fiber_entry(ctx::transfer_t from) noexcept {
  auto* t = static_cast<TaskBase*>(from.data);
  t->caller_ = from.fctx;
  sanitizer::finish_switch(nullptr);
  try {
    t->run_body();
  } catch (const ForcedUnwind&) {
    // Teardown of a task that could not be finished: its frames are unwound.
  } catch (...) {
    internal_error("exception escaped a task body");
  }
  t->fiber_done_ = true; // switch_to_loop tells ASan this stack is finished
  ThreadContext::switch_to_loop(*t);
  internal_error("a finished task was resumed");
}
} // namespace

void ThreadContext::init() noexcept {
  tsan_fiber_ = sanitizer::tsan_current_fiber();
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* lo = nullptr;
    std::size_t size = 0;
    pthread_attr_getstack(&attr, &lo, &size);
    stack_lo_ = lo;
    stack_size_ = size;
    pthread_attr_destroy(&attr);
  }
}

void make_fiber(TaskBase& t, const Stack& s) noexcept {
  t.stack_lo_ = s.lo;
  t.stack_len_ = s.len;
  t.stack_guard_ = s.guard;
  t.tsan_fiber_ = sanitizer::tsan_create_fiber();
  sanitizer::unpoison_stack(static_cast<char*>(s.top()) - s.usable(), s.usable());
  t.fctx_ = ctx::make_fcontext(s.top(), s.usable(), fiber_entry);
}

void ThreadContext::resume(TaskBase& t) noexcept {
  sanitizer::start_switch(&asan_fake_stack_, static_cast<char*>(t.stack_lo_) + t.stack_guard_,
                          t.stack_len_ - t.stack_guard_);
  sanitizer::tsan_switch_to(t.tsan_fiber_);
  swap_eh_state(t.eh_); // the task's caught/uncaught exceptions in, this thread's out
  ctx::transfer_t back = ctx::jump_fcontext(t.fctx_, &t);
  swap_eh_state(t.eh_); // and back: the task keeps its own until it runs again
  sanitizer::finish_switch(asan_fake_stack_);
  t.fctx_ = back.fctx;
}

void ThreadContext::switch_to_loop(TaskBase& t) noexcept {
  ThreadContext& loop = current_loop()->thread_context();
  sanitizer::start_switch(t.fiber_done_ ? nullptr : &t.asan_fake_stack_, loop.stack_lo_, loop.stack_size_);
  sanitizer::tsan_switch_to(loop.tsan_fiber_);
  ctx::transfer_t back = ctx::jump_fcontext(t.caller_, nullptr);
  // Resumed, possibly by another loop's thread: its context is our new caller.
  t.caller_ = back.fctx;
  sanitizer::finish_switch(t.asan_fake_stack_);
}

void release_fiber(TaskBase& t, StackCache& stacks) {
  if (!t.stack_lo_) return;
  stacks.put(Stack{t.stack_lo_, t.stack_len_, t.stack_guard_});
  t.stack_lo_ = nullptr;
  sanitizer::tsan_destroy_fiber(std::exchange(t.tsan_fiber_, nullptr));
}

} // namespace coreio::detail
