// TaskBase: the scheduling half of a task (a fiber plus its state word).
// The result half is FutureState<T>; TaskState<T> (task.hpp) joins the two.
//
// # The state word
// `state_` is one atomic word; each bit is documented below. Rules:
//  1. Only the party that moves a task from IDLE to SCHEDULED (by CAS in
//     wake()) may push it on a run queue. A task is therefore in at most one
//     queue, and `qnext_`/`ticket_` are owned by whoever holds it queued.
//  2. Only the loop that pops a SCHEDULED task may set RUNNING and switch to
//     its fiber; the fiber's context (`fctx_`) is touched by that loop alone
//     until the fiber switches back.
//  3. wake() on a RUNNING task sets NOTIFIED instead of queueing (the fiber is
//     still on a CPU and its context is not saved yet). When the step ends the
//     loop sees NOTIFIED and queues the task again. This closes the race between
//     "register a waiter, then suspend" and a notifier on another thread.
//  4. COMPLETE is final; wake() on a COMPLETE task does nothing.
//
// # Cancellation
// cancel() counts the request (cancelling()), and either cancels the future the
// task is awaiting (asyncio's `_fut_waiter.cancel()`, which is how cancelling a
// task cancels the task it awaits) or records a pending cancellation and wakes
// the task. The pending cancellation is delivered as CancelledError at the
// task's current or next suspension point (wait_until_fired, get(), sleep...).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "coreio/detail/function.hpp"
#include "coreio/detail/queue_link.hpp"
#include "coreio/detail/recycler.hpp"
#include "coreio/detail/future_state.hpp"
#include "coreio/detail/ref.hpp"
#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"

namespace coreio {
class Loop;
namespace detail {

class LoopImpl;
struct ContextData;

/// The C++ runtime's per-thread exception-handling state, as the Itanium C++
/// ABI (2.2.2, __cxa_eh_globals) lays it out: the stack of exceptions being
/// handled (catch blocks entered, not yet left) and the count of exceptions
/// thrown but not yet caught. It belongs to a fiber, not to a thread: a task
/// may suspend inside a catch block (or while unwinding) and resume on another
/// thread, so every switch swaps it (fiber_switch.hpp).
struct EhState {
  void* caught = nullptr;
  unsigned int uncaught = 0;
};

/// Bits of TaskBase::state_.
inline constexpr std::uint32_t SCHEDULED = 1u << 0; ///< In a run queue (or being pushed to one).
inline constexpr std::uint32_t RUNNING = 1u << 1;   ///< Its fiber is executing on some loop.
inline constexpr std::uint32_t NOTIFIED = 1u << 2;  ///< Woken while RUNNING: requeue when the step ends.
inline constexpr std::uint32_t COMPLETE = 1u << 3;  ///< The body has finished; final.

/// A task is a future (its result) that is also a schedulable fiber. The
/// future's reference count keeps both alive; the runtime holds one reference
/// from spawn until the body finishes (so a running task is never freed, as
/// asyncio keeps pending tasks alive through the loop).
class TaskBase : public FutureStateBase, public Wakeable, public QueueLink {
public:
  TaskBase();
  ~TaskBase() override;

  // Task states (TaskState<T, F>, all sizes) come from the recycler; the
  // virtual destructor makes `delete` pass the dynamic type's size.
  static void* operator new(std::size_t size) { return recycler::allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { recycler::deallocate(p, size); }

  /// Rule 1/3/4: make the task runnable. Thread-safe; spurious calls are harmless.
  void wake() noexcept override;
  void retain() noexcept override { add_ref(); }
  void unretain() noexcept override { release(); }

  /// asyncio Task.cancel(msg): false if the task is already done.
  bool cancel(std::string msg) override;
  std::string describe() const override;
  /// Number of cancellation requests not yet uncancel()ed.
  [[nodiscard]] int cancelling() const noexcept { return num_cancels_.load(std::memory_order_relaxed); }
  int uncancel() noexcept;

  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  [[nodiscard]] std::string name() const;
  void set_name(std::string name);
  /// The name given by the user, or nullptr for the default "Task-<id>".
  /// Not synchronized with set_name(); for the stack-overflow report only.
  [[nodiscard]] const char* custom_name() const noexcept { return name_ ? name_->c_str() : nullptr; }

  // ---- Internal interface used by the scheduler (core/src) ----
  /// The body: runs the user's function and stores its outcome with
  /// store_outcome(). Invoked on the task's fiber.
  virtual void run_body() = 0;
  /// Completes the result half as cancelled (used for a task cancelled before
  /// it ever ran: its body never starts, as in asyncio).
  bool finish_cancelled(std::string msg);
  /// If a cancel() is pending (requested, not yet delivered), clears it, moves
  /// its message to `msg` and returns true. The body has returned; asyncio
  /// then ends the task cancelled instead of with the returned value.
  bool take_pending_cancel(std::string& msg);
  /// Sets the result from within run_body(): value via `store`, or the exception.
  template <class Store>
  void finish_with(Store&& store) { complete(Status::result, std::forward<Store>(store)); }
  void finish_with_exception(std::exception_ptr e);

  std::atomic<std::uint32_t> state_{0};
  /// FIFO position in its loop's ready order (see loop.cpp, "Ready order").
  /// Atomic only because a stealer may read a stale value while peeking.
  std::atomic<std::uint64_t> ticket_{0};
  /// The loop a pinned task lives on; else the loop that last queued/ran it.
  std::atomic<LoopImpl*> loop_{nullptr};
  bool pinned_ = false;
  bool eager_ = false;
  bool started_ = false;
  /// Fiber context (Boost.Context fcontext_t) while suspended; the loop's
  /// context while running (`caller_`). Touched only under rule 2.
  void* fctx_ = nullptr;
  void* caller_ = nullptr;
  void* stack_lo_ = nullptr; ///< Lowest address of the stack mapping (guard page included); null until first run.
  std::size_t stack_len_ = 0; ///< Length of that mapping.
  std::size_t stack_guard_ = 0; ///< Bytes of guard page at stack_lo_ (0: an unguarded slab stack).
  void* tsan_fiber_ = nullptr;
  void* asan_fake_stack_ = nullptr;
  /// The task's own C++ exception-handling state while it is switched out
  /// (fiber_switch.hpp, swap_eh_state); the loop thread's while it runs.
  EhState eh_;
  /// Set by the fiber as its last act; the loop then frees the stack.
  bool fiber_done_ = false;
  /// Set when the runtime tears down a task that will not finish by cancellation.
  bool force_unwind_ = false;

  /// Task-local context (contextvars): copied from the spawner at spawn.
  std::shared_ptr<const ContextData> context_;

  /// Guards the fields below (cancellation and the awaited future).
  mutable SpinLock lock_;
  /// A cancellation waits to be delivered (asyncio's _must_cancel).
  std::atomic<bool> must_cancel_{false};
  std::atomic<int> num_cancels_{0};
  std::string cancel_msg_;
  /// The future this task is blocked on in get(), if any (asyncio's _fut_waiter).
  FutureStateBase* waiting_on_ = nullptr;

  /// Registry of live tasks (all_tasks()); guarded by the runtime's registry lock.
  TaskBase* reg_prev_ = nullptr;
  TaskBase* reg_next_ = nullptr;
  std::uint32_t reg_shard_ = 0;
  class RuntimeImpl* runtime_ = nullptr;

private:
  std::uint64_t id_;
  std::unique_ptr<std::string> name_;
};

/// The task running on this thread now, or nullptr. Not inlined: the thread
/// may change across any suspension (see DESIGN.md "Tasks are fibers").
[[nodiscard]] TaskBase* current_task_base() noexcept;

} // namespace detail
} // namespace coreio
