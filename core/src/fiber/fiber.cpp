// Fibers (fiber.hpp): make, resume, switch back, release.
#include "fiber/fiber.hpp"

#include <pthread.h>

#include <cstdint>
#include <new>

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
  t->fiber_->caller = from.fctx;
  sanitizer::finish_switch(nullptr);
  try {
    t->run_body();
  } catch (const ForcedUnwind&) {
    // Teardown of a task that could not be finished: its frames are unwound.
  } catch (...) {
    internal_error("exception escaped a task body");
  }
  t->fiber_->done = true; // switch_to_loop tells ASan this stack is finished
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
  char* const usable_lo = static_cast<char*>(s.top()) - s.usable();
  sanitizer::unpoison_stack(usable_lo, s.usable());
  // The frame sits at the top of the usable stack, 16-byte aligned; the
  // fiber's frames grow down from just below it.
  constexpr std::uintptr_t align = 16;
  const auto at = (reinterpret_cast<std::uintptr_t>(s.top()) - sizeof(FiberFrame)) & ~(align - 1);
  auto* f = new (reinterpret_cast<void*>(at)) FiberFrame();
  f->stack = s;
  f->tsan_fiber = sanitizer::tsan_create_fiber();
  t.fiber_ = f;
  char* const fiber_top = reinterpret_cast<char*>(at);
  t.fctx_ = ctx::make_fcontext(fiber_top, static_cast<std::size_t>(fiber_top - usable_lo), fiber_entry);
}

void release_fiber(TaskBase& t, StackCache& stacks) {
  FiberFrame* f = std::exchange(t.fiber_, nullptr);
  if (!f) return;
  const Stack s = f->stack;
  sanitizer::tsan_destroy_fiber(f->tsan_fiber);
  stacks.put(s); // the frame's memory belongs to the next fiber from here on
}

} // namespace coreio::detail
