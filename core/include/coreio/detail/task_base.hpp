// TaskBase: the scheduling half of a task (a fiber plus its state word).
// The result half is FutureState<T>; TaskState<T> (task.hpp) joins the two.
// The state word and its rules are in task_state_word.hpp; the code that
// drives them lives in core/src/task/ (docs/architecture.md, "A task's life").
//
// # Cancellation (core/src/task/cancel.cpp)
// cancel() counts the request (cancelling()), and either cancels the future
// the task is awaiting (asyncio's `_fut_waiter.cancel()`, which is how
// cancelling a task cancels the task it awaits) or records a pending request
// (asyncio's `_must_cancel`) and wakes the task. A pending request is
// delivered as CancelledError at the task's current or next suspension point
// (wait_until_fired, get(), sleep...). When the body returns with a request
// still pending:
//  - it ends the task cancelled, dropping the returned value, if the request
//    was made by the task itself or while the task was not running
//    (asyncio's test_cancel_at_end: there cancel() never runs during a step);
//  - it is dropped, and the task completes with its value, if it was made
//    from another thread while the task was running its step. The step's
//    effects (a queue item put or taken, a lock acquired) have happened, so
//    reporting "cancelled" would make the caller's retry duplicate them or
//    lose them; cancel() having returned true is then like a task that
//    swallowed the cancel.
// Which case applies is decided by cancel() under the task lock, from the
// state word (the Dekker pair described in transition_to_running()).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>

#include "coreio/detail/function.hpp"
#include "coreio/detail/queue_link.hpp"
#include "coreio/detail/recycler.hpp"
#include "coreio/detail/future_state.hpp"
#include "coreio/detail/ref.hpp"
#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/task_state_word.hpp"
#include "coreio/detail/waiter.hpp"

namespace coreio {
class Loop;
namespace detail {

class LoopImpl;
struct ContextData;
struct FiberFrame;

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
  // A body whose captures are over-aligned: the recycler's nodes are only
  // 16-byte aligned, so such a state goes to the aligned global allocator.
  static void* operator new(std::size_t size, std::align_val_t a) { return ::operator new(size, a); }
  static void operator delete(void* p, std::size_t, std::align_val_t a) noexcept { ::operator delete(p, a); }

  /// Rules 1, 3, 4 (task_state_word.hpp): make the task runnable. Thread-safe;
  /// spurious calls are harmless.
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
  [[nodiscard]] const char* custom_name() const noexcept {
    return extras_ && extras_->named ? extras_->name.c_str() : nullptr;
  }

  // ---- Internal interface used by the scheduler (core/src) ----
  /// The body: runs the user's function and stores its outcome with
  /// store_outcome(). Invoked on the task's fiber.
  virtual void run_body() = 0;
  /// Completes the result half as cancelled (used for a task cancelled before
  /// it ever ran: its body never starts, as in asyncio).
  bool finish_cancelled(std::string msg);

  // ---- The pending cancellation request (asyncio's _must_cancel; cancel.cpp) ----
  /// True if a request waits to be delivered. SeqCst: the suspension points'
  /// half of the Dekker pair described in TaskStateWord::transition_to_running().
  [[nodiscard]] bool cancel_requested() const noexcept { return must_cancel_.load(std::memory_order_seq_cst); }
  /// Consumes the pending request, if any, and returns its message: for
  /// delivery at a suspension point, or before the body first runs.
  [[nodiscard]] std::optional<std::string> take_cancel_request();
  /// Puts back a request taken by take_cancel_request() that could not be
  /// handed on, unless a newer one arrived meanwhile.
  void restore_cancel_request(std::string msg);
  /// Drops the pending request (its CancelledError was raised another way,
  /// or uncancel() took the last one back).
  void drop_cancel_request() noexcept;
  /// The body has returned: the request that ends the task cancelled, if one
  /// is pending and may end it (see "Cancellation" above); a request made
  /// from another thread during the step is dropped instead.
  [[nodiscard]] std::optional<std::string> take_cancel_at_end();
  /// The body returned: completes with the value `store` writes, unless a
  /// pending cancellation ends the task instead (take_cancel_at_end()).
  template <class Store>
  void finish_returned(Store&& store) {
    if (std::optional<std::string> msg = take_cancel_at_end()) finish_cancelled(std::move(*msg));
    else complete(Status::result, std::forward<Store>(store));
  }
  void finish_with_exception(std::exception_ptr e);

  // Layout: the record of a spawned, not yet started task is what a million
  // pending tasks cost, so fields are packed (the state word and the
  // one-byte fields fill the queue link's tail padding; the 4-byte ones pair
  // up) and everything only a running task needs lives in its FiberFrame, at
  // the top of its stack (core/src/fiber/fiber.hpp).
  TaskStateWord state_;
  bool pinned_ = false;
  bool eager_ = false;
  bool started_ = false;
  /// Guards the cancellation fields and waiting_on_.
  mutable SpinLock lock_;

private:
  /// A request waits to be delivered; written under lock_, read without it.
  std::atomic<bool> must_cancel_{false};
  /// The pending request may end the task when its body returns (it was made
  /// by the task itself, or while the task was not running). Under lock_.
  bool cancel_at_end_ = false;

public:
  /// Position in its loop's ready order while it waits in that loop's FIFO
  /// (core/src/sched/ready_queue.hpp, "Ready order"); owned by the queue
  /// that holds it (rule 1). Ring slots keep their own ticket.
  std::uint64_t ticket_ = 0;
  /// The loop a pinned task lives on; else the loop that last queued/ran it
  /// (FutureStateBase's own loop_: a task's result belongs to the same loop).
  using FutureStateBase::loop_;
  /// Fiber context (Boost.Context fcontext_t) while suspended. Touched only
  /// under rule 2.
  void* fctx_ = nullptr;
  /// The fiber's bookkeeping (stack, the loop's context while running,
  /// exception-handling and sanitizer state), placed at the top of its
  /// stack on the first step; null before it and after the body ends.
  FiberFrame* fiber_ = nullptr;

  /// Task-local context (contextvars): copied from the spawner at spawn.
  std::shared_ptr<const ContextData> context_;

  std::atomic<int> num_cancels_{0};
  /// Registry of live tasks (all_tasks()); guarded by the runtime's registry lock.
  std::uint32_t reg_shard_ = 0;
  TaskBase* reg_prev_ = nullptr;
  TaskBase* reg_next_ = nullptr;
  /// The future this task is blocked on in get(), if any (asyncio's
  /// _fut_waiter). Under lock_.
  FutureStateBase* waiting_on_ = nullptr;

private:
  /// Records a request under lock_ (cancel()).
  void request_cancel_locked(std::string msg) noexcept;
  /// lock_ held: moves the pending request's message out.
  std::string take_cancel_msg_locked() noexcept;

  std::uint64_t id_;
  /// What few tasks use: a custom name, a cancellation message. Allocated
  /// on first use, so a plain spawned task carries one null pointer for
  /// both (a million pending tasks: 32 MB less). Created and written under
  /// lock_; custom_name() reads it without.
  struct Extras {
    std::string name;
    bool named = false;
    std::string cancel_msg;
  };
  std::unique_ptr<Extras> extras_;
  /// lock_ held: the extras block, installing `fresh` (allocated before the
  /// lock was taken, so nothing allocates under it) if there is none yet.
  Extras& extras_locked(std::unique_ptr<Extras>& fresh) noexcept {
    if (!extras_) extras_ = std::move(fresh);
    return *extras_;
  }
};

/// The task running on this thread now, or nullptr. Not inlined: the thread
/// may change across any suspension (docs/architecture.md, "Tasks are fibers").
[[nodiscard]] TaskBase* current_task_base() noexcept;

} // namespace detail
} // namespace coreio
