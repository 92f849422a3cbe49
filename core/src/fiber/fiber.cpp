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

void release_fiber(TaskBase& t, StackCache& stacks) {
  if (!t.stack_lo_) return;
  stacks.put(Stack{t.stack_lo_, t.stack_len_, t.stack_guard_});
  t.stack_lo_ = nullptr;
  sanitizer::tsan_destroy_fiber(std::exchange(t.tsan_fiber_, nullptr));
}

} // namespace coreio::detail
