// FutureStateBase / FutureState<T>: the shared result of a Future or Task.
//
// Both an asyncio Future and a concurrent.futures Future: any thread may
// complete it, any task may get() it (suspending its fiber) and any plain OS
// thread may get() it (blocking the thread).
//
// Completion protocol:
//  1. complete() takes `lock_`; if still pending it stores the outcome, then
//     publishes the status with a Release store, detaches the waiter list and
//     the done callbacks, and unlocks.
//  2. It fires each waiter (waiter.hpp, step 2) and posts each done callback
//     to the loop it was added from, with call_soon semantics (never inline on
//     the completing thread, unless it was added from a thread with no loop:
//     then it runs inline, as concurrent.futures does).
//  3. Readers check `status_` with an Acquire load: once non-pending, the
//     outcome fields are immutable and may be read without the lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "coreio/detail/function.hpp"
#include "coreio/detail/ref.hpp"
#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"
#include "coreio/exceptions.hpp"

namespace coreio::detail {

class LoopImpl;
class TaskBase;

enum class Status : std::uint8_t { pending, result, exception, cancelled };

class FutureStateBase : public RefCounted {
public:
  FutureStateBase();
  ~FutureStateBase() override;

  [[nodiscard]] Status status() const noexcept { return status_.load(std::memory_order_acquire); }
  [[nodiscard]] bool done() const noexcept { return status() != Status::pending; }

  /// Plain future: completes it as cancelled. Task: requests cancellation of the task.
  virtual bool cancel(std::string msg);
  bool set_exception(std::exception_ptr e);

  /// Raises the stored exception (CancelledError if cancelled); marks it retrieved.
  void rethrow_if_failed();
  /// The exception or nullptr; throws CancelledError if cancelled, InvalidStateError if pending.
  std::exception_ptr exception();
  void check_done(const char* what) const;

  /// Blocks until done: suspends a task (cancellation propagates to this future,
  /// as asyncio's Task does with the future it awaits, including a
  /// cancellation already pending when the wait starts), blocks a thread.
  void wait();

  /// Done callbacks; returns an id for remove_done_callback.
  /// (A pointer, not a reference: libstdc++ 12's move_only_function rejects a
  /// reference to the still-incomplete FutureStateBase as a parameter.)
  std::uint64_t add_done_callback(Function<void(FutureStateBase*)> fn);
  /// Returns the number of callbacks removed (0 or 1).
  std::size_t remove_done_callback(std::uint64_t id);

  /// The loop this future belongs to (done callbacks added from foreign
  /// threads run there), or nullptr: the loop that created it, or the one it
  /// was bound to; for a task, the loop that last queued or ran it.
  LoopImpl* loop() const noexcept { return loop_.load(std::memory_order_relaxed); }
  /// Loop::create_future: bind to a given loop (before the future is shared).
  void bind_loop(LoopImpl* l) noexcept { loop_.store(l, std::memory_order_relaxed); }

  /// For the unretrieved-exception report.
  virtual std::string describe() const { return "Future"; }

protected:
  /// Step 1-2. `store` writes the outcome; runs under the lock. False if already done.
  template <class Store>
  bool complete(Status s, Store&& store) {
    lock_.lock();
    if (status_.load(std::memory_order_relaxed) != Status::pending) {
      lock_.unlock();
      return false;
    }
    store();
    finish_locked(s); // unlocks
    return true;
  }
  void finish_locked(Status s);
  /// wait(): hand a cancellation already pending on `task` to this future.
  void pass_pending_cancel(TaskBase& task);
  /// asyncio's "exception was never retrieved" log, at most once. Called from
  /// destructors (so `who` is passed in: virtual dispatch is gone by then).
  void report_unretrieved(const std::string& who) noexcept;
  /// Called with the outcome already stored and the status published.
  virtual void on_complete() noexcept {}

  SpinLock lock_;
  std::atomic<Status> status_{Status::pending};
  /// Atomic (relaxed): exception() may be called on a done future by a done
  /// callback on a loop and by another thread (Runtime::close) at once; both
  /// only set it. Read when the future is destroyed.
  std::atomic<bool> retrieved_{false};
  std::exception_ptr exc_; ///< exception, or the CancelledError of a cancelled future
  WaitList waiters_;
  struct DoneCallback {
    std::uint64_t id;
    Ref<LoopImpl> loop; ///< where to run it; null = inline on the completing thread
    Function<void(FutureStateBase*)> fn;
  };
  /// Most futures (every task's result) never get a done callback, so the
  /// list and its id counter live behind one pointer, allocated on the first
  /// add_done_callback (a task record is 24 bytes smaller for it).
  struct DoneCallbacks {
    std::uint64_t next_id = 1;
    std::vector<DoneCallback> list;
  };
  std::unique_ptr<DoneCallbacks> callbacks_; ///< under lock_
  /// See loop(). Relaxed everywhere: a plain future's is set before it is
  /// shared; a task's is its scheduling home (TaskBase, which re-exports it),
  /// written by whoever queues or runs it and read for placement only, never
  /// to publish other data.
  std::atomic<LoopImpl*> loop_{nullptr};

  friend class TaskBase;
};

/// Storage for the value of a Future<T>/Task<T> (std::monostate for void).
template <class T>
struct ValueSlot {
  using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
  std::optional<Stored> value_;
};

template <class T>
class FutureState final : public FutureStateBase, public ValueSlot<T> {
public:
  template <class... A>
  bool set_result(A&&... a) {
    return complete(Status::result, [&] { this->value_.emplace(std::forward<A>(a)...); });
  }
};

} // namespace coreio::detail
