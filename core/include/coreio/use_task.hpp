// use_task: a Boost.Asio completion token that awaits any Asio operation from
// a coreio task (the one public core header that includes Asio; STYLE.md 15).
//
//     std::size_t n = sock.async_read_some(buf, coreio::use_task);   // suspends the task
//     auto [ec, m] = sock.async_read_some(buf, coreio::use_task_ec); // error as a value
//     timer.async_wait(coreio::use_task);
//     sock.async_connect(ep, coreio::use_task_for(5s));             // TimeoutError after 5 s
//
// Any Asio-based library (Boost.Beast, ...) works the same way, because the
// token goes through asio::async_result.
//
// # How one operation is awaited
//  1. initiate() builds a TaskOp on the calling fiber's stack: the result slot,
//     an `outstanding` count of 1 (the handler), a cancellation_signal whose
//     slot is the handler's associated cancellation slot, and an inline block
//     that the handler's associated allocator hands to the operation (a
//     socket read or write allocates nothing; tasks run outside
//     io_context::run, where Asio's own recycling allocator does not apply).
//  2. The operation is started on its I/O object's thread: inline when the
//     task already runs on the loop that owns the object's io_context, else
//     posted there. So an Asio object is only ever touched by its own loop
//     thread, even after the task migrated (that is what makes ssl::stream and
//     other strand-bound objects safe to use from any task).
//  3. The task suspends until `outstanding` reaches 0.
//  4. The handler runs on the I/O object's loop thread: it takes a reference
//     to the waiting task, stores the result, decrements `outstanding` (its
//     last access to the TaskOp) and wakes the task, which is queued where the
//     scheduler puts woken tasks. The fiber is never resumed inside the handler.
//  5. If the task is cancelled while waiting, it increments `outstanding` and
//     posts an emitter to the object's executor. The emitter runs on the loop
//     thread, so it is serialized with the handler: if the handler has not run
//     yet it emits cancellation_type::terminal, then it decrements and wakes.
//     The task keeps waiting until both are done, because the operation may
//     still reference the task's buffers. An operation that ended with an
//     error after the cancellation was requested (operation_aborted,
//     typically) raises CancelledError; one that completed successfully
//     anyway returns its result, and the cancellation stays pending for the
//     task's next suspension point (no data is lost).
//  6. A deadline (use_task_for / use_task_until, a coreio extension) arms a
//     timer on the task's loop that wakes the task; past the deadline the
//     task requests cancellation exactly as in step 5, and an operation that
//     then ends with an error raises TimeoutError instead of CancelledError.
//
// Thread safety: each use_task wait belongs to the calling task. Operations on
// distinct Asio objects may be awaited from any task on any loop. One object
// may have at most one outstanding operation per direction (one read and one
// write on a socket), as Asio requires; initiate them from tasks that do not
// race on the object itself. The object's io_context must be run by a single
// thread, as every coreio loop's is (the handler and the cancellation emitter
// are serialized by running on that thread).
// Resumes on: the loop that ran the completion handler (the I/O object's
// loop) for an unpinned task; a pinned task is posted back to its own loop.
// Cancellation: task.cancel() cancels the operation through Asio's
// per-operation cancellation (cancellation_type::terminal). An operation that
// does not support per-operation cancellation runs to completion first.
// A pending cancellation raises CancelledError before the operation starts.
// Throws: boost::system::system_error for an error code (use_task_ec returns
// it instead), the operation's exception_ptr if its signature has one,
// CancelledError when cancelled, TimeoutError past a deadline (deadlines need
// a task: RuntimeError on a plain thread), RuntimeError when the operation was
// destroyed without completing (its io_context shut down) or when called from
// a callback running on a loop (it would block the loop).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <new>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include "coreio/detail/waiter.hpp"

namespace coreio {

/// The completion token type: `op(args..., coreio::use_task)` suspends the
/// calling task until the operation completes and returns its result.
struct use_task_t {
  constexpr use_task_t() noexcept = default;
  /// Past this point the operation is cancelled and the await raises
  /// TimeoutError (max(): no deadline). Set by use_task_for / use_task_until.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

/// Await an Asio operation; errors are thrown as boost::system::system_error.
inline constexpr use_task_t use_task{};

/// use_task with a deadline (coreio extension; asyncio spells it
/// `wait_for(op, timeout)`): the operation is cancelled at `when`, and the
/// await then raises TimeoutError.
[[nodiscard]] inline use_task_t use_task_until(std::chrono::steady_clock::time_point when) noexcept {
  use_task_t t;
  t.deadline = when;
  return t;
}

/// use_task with a timeout, counted from now (see use_task_until).
template <class Rep, class Period>
[[nodiscard]] use_task_t use_task_for(std::chrono::duration<Rep, Period> timeout) {
  return use_task_until(std::chrono::steady_clock::now() + std::chrono::ceil<std::chrono::nanoseconds>(timeout));
}

/// Await an Asio operation and get every handler argument, error included,
/// as a std::tuple (asio::as_tuple over use_task): `auto [ec, n] = ...`.
inline constexpr boost::asio::as_tuple_t<use_task_t> use_task_ec{use_task};

namespace detail {

/// True if the calling thread is the loop thread that runs `ctx`.
[[nodiscard]] bool on_loop_of(const boost::asio::execution_context& ctx) noexcept;

/// How a use_task wait ended.
enum class TaskOpEnd {
  completed, ///< The handler ran; nobody asked the operation to stop.
  cancelled, ///< The task was cancelled while waiting; the operation was asked to stop.
  timed_out, ///< The deadline passed; the operation was asked to stop.
};

using TaskOpClock = std::chrono::steady_clock;

/// The signature-independent half of a use_task wait (core/src/io/use_task.cpp).
class TaskOpBase {
public:
  TaskOpBase(const TaskOpBase&) = delete;
  TaskOpBase& operator=(const TaskOpBase&) = delete;

  /// Steps 3, 5 and 6: suspends until the handler (and a posted emitter, if
  /// any) ran. Says whether, and why, the operation was asked to stop.
  TaskOpEnd wait(TaskOpClock::time_point deadline = TaskOpClock::time_point::max());

  /// Step 5's emitter. Runs on the I/O object's thread.
  void emit_cancel() noexcept;

  /// Step 4's tail: called by the handler after it stored the result.
  void complete() noexcept {
    WakeRef target(target_);
    // Relaxed: read only by emit_cancel(), which runs on this same thread.
    completed_.store(true, std::memory_order_relaxed);
    // Release: the stored result happens-before the waiter's Acquire load of
    // outstanding_ in wait(). This is our last access to *this.
    outstanding_.fetch_sub(1, std::memory_order_release);
    target.wake();
  }

  /// The handler was destroyed without being invoked (its io_context shut down).
  void abandon() noexcept {
    abandoned_ = true; // published by complete()'s Release decrement
    complete();
  }

  [[nodiscard]] boost::asio::cancellation_slot slot() noexcept { return signal_->slot(); }

  /// Use `signal` instead of this wait's own cancellation signal. An object
  /// that runs one operation at a time may keep a signal across waits, so the
  /// slot's handler memory is reused instead of allocated per operation. The
  /// signal must not be used by another wait at the same time.
  void use_signal(boost::asio::cancellation_signal& signal) noexcept { signal_ = &signal; }

  /// Handler memory (TaskOpAllocator): the first allocation of the operation
  /// that fits takes this wait's inline block, so a plain socket read or write
  /// allocates nothing; others go to the heap. Never reused within a wait: the
  /// block is released with the wait itself (it lives on the task's stack).
  static constexpr std::size_t inline_memory = 320;
  [[nodiscard]] void* allocate_inline(std::size_t size, std::size_t align) noexcept {
    if (inline_used_ || size > inline_memory || align > alignof(std::max_align_t)) return nullptr;
    inline_used_ = true;
    return memory_;
  }
  /// Address comparison only: safe after the wait ended.
  [[nodiscard]] bool owns(const void* p) const noexcept { return p == static_cast<const void*>(memory_); }

  /// For an operation that failed after wait() asked it to stop: throws
  /// CancelledError (cancelled) or TimeoutError (timed_out); else returns.
  static void raise_if_stopped(TaskOpEnd end);

  /// How wait() reaches the object's thread to emit a cancellation.
  using PostCancel = void (*)(void* executor, TaskOpBase& op);
  void set_canceller(PostCancel post, void* executor) noexcept {
    post_cancel_ = post;
    executor_ = executor;
  }

protected:
  /// Throws RuntimeError where a task cannot suspend; binds to the caller.
  TaskOpBase();
  ~TaskOpBase() = default;

  /// Throws for an operation destroyed without completing.
  void check_abandoned() const;

private:
  Wakeable* target_;
  /// 1 for the handler, +1 while a posted emitter is pending (step 5).
  std::atomic<std::uint32_t> outstanding_{1};
  /// Written and read on the object's thread only (handler, emitter).
  std::atomic<bool> completed_{false};
  bool abandoned_ = false;
  boost::asio::cancellation_signal own_signal_;
  boost::asio::cancellation_signal* signal_ = &own_signal_;
  bool inline_used_ = false;
  alignas(std::max_align_t) unsigned char memory_[inline_memory];
  PostCancel post_cancel_ = nullptr;
  void* executor_ = nullptr;
};

// ---- mapping a handler signature to what use_task returns ----

template <class... T>
struct TaskOpValues {
  using type = std::tuple<T...>;
  template <class Tuple, std::size_t... I>
  static type take(Tuple&& t, std::index_sequence<I...>) {
    return type(std::move(std::get<I>(t))...);
  }
};
template <class T>
struct TaskOpValues<T> {
  using type = T;
  template <class Tuple, std::size_t I>
  static type take(Tuple&& t, std::index_sequence<I>) {
    return std::move(std::get<I>(t));
  }
};
template <>
struct TaskOpValues<> {
  using type = void;
};

/// Leading error_code / exception_ptr arguments are checked and dropped.
template <class... A>
struct TaskOpSignature : TaskOpValues<A...> {
  static constexpr std::size_t skip = 0;
};
template <class... A>
struct TaskOpSignature<boost::system::error_code, A...> : TaskOpValues<A...> {
  static constexpr std::size_t skip = 1;
};
template <class... A>
struct TaskOpSignature<std::exception_ptr, A...> : TaskOpValues<A...> {
  static constexpr std::size_t skip = 1;
};

template <class T>
struct is_error_tuple : std::false_type {};
template <class... A>
struct is_error_tuple<std::tuple<boost::system::error_code, A...>> : std::true_type {};

/// The associated allocator of use_task handlers (see TaskOpBase::allocate_inline).
template <class T>
class TaskOpAllocator {
public:
  using value_type = T;
  explicit TaskOpAllocator(TaskOpBase* op) noexcept : op_(op) {}
  template <class U>
  TaskOpAllocator(const TaskOpAllocator<U>& o) noexcept : op_(o.op_) {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (void* p = op_->allocate_inline(bytes, alignof(T))) return static_cast<T*>(p);
    return static_cast<T*>(::operator new(bytes, std::align_val_t(alignof(T))));
  }
  void deallocate(T* p, std::size_t) noexcept {
    if (op_->owns(p)) return;
    ::operator delete(p, std::align_val_t(alignof(T)));
  }
  template <class U>
  friend bool operator==(const TaskOpAllocator& a, const TaskOpAllocator<U>& b) noexcept {
    return a.op_ == b.op_;
  }

  TaskOpBase* op_;
};

/// A use_task wait for handler arguments `A...` (decayed).
template <class... A>
class TaskOp final : public TaskOpBase {
public:
  using Sig = TaskOpSignature<A...>;
  using return_type = typename Sig::type;

  /// The completion handler given to the operation. Move-only; carries the
  /// cancellation slot; completes the op when invoked, or abandons it when
  /// destroyed uninvoked.
  class Handler {
  public:
    using cancellation_slot_type = boost::asio::cancellation_slot;
    using allocator_type = TaskOpAllocator<void>;

    explicit Handler(TaskOp& op) noexcept : op_(&op) {}
    Handler(Handler&& o) noexcept : op_(std::exchange(o.op_, nullptr)) {}
    Handler& operator=(Handler&&) = delete;
    ~Handler() {
      if (op_) op_->abandon();
    }

    [[nodiscard]] cancellation_slot_type get_cancellation_slot() const noexcept { return op_->slot(); }
    [[nodiscard]] allocator_type get_allocator() const noexcept { return allocator_type(op_); }

    template <class... V>
    void operator()(V&&... v) {
      TaskOp* op = std::exchange(op_, nullptr);
      op->result_.emplace(std::forward<V>(v)...);
      op->complete();
    }

  private:
    TaskOp* op_;
  };

  TaskOp() = default;

  [[nodiscard]] Handler handler() noexcept { return Handler(*this); }

  /// After wait(): every handler argument as stored (throws RuntimeError if
  /// the operation was abandoned).
  [[nodiscard]] std::tuple<A...>& values() {
    check_abandoned();
    return *result_;
  }

  /// After wait(): the value, or the error / cancellation / timeout as an exception.
  return_type take(TaskOpEnd end) {
    auto& r = values();
    if constexpr (Sig::skip == 1) {
      const auto& first = std::get<0>(r);
      if (first) {
        raise_if_stopped(end);
        if constexpr (std::is_same_v<std::decay_t<decltype(first)>, std::exception_ptr>) std::rethrow_exception(first);
        else throw boost::system::system_error(first);
      }
    } else if constexpr (sizeof...(A) == 1) {
      // use_task_ec: the error comes back as a value, except our own cancellation.
      if constexpr (is_error_tuple<std::tuple_element_t<0, std::tuple<A...>>>::value)
        if (std::get<0>(std::get<0>(r))) raise_if_stopped(end);
    }
    if constexpr (!std::is_void_v<return_type>) {
      constexpr std::size_t n = sizeof...(A) - Sig::skip;
      return take_values(r, std::make_index_sequence<n>{});
    }
  }

private:
  template <std::size_t... I>
  return_type take_values(std::tuple<A...>& r, std::index_sequence<I...>) {
    return Sig::take(r, std::index_sequence<(I + Sig::skip)...>{});
  }

  std::optional<std::tuple<A...>> result_;
};

template <class Executor>
void post_cancel_to(void* executor, TaskOpBase& op) {
  boost::asio::post(*static_cast<Executor*>(executor), [&op] { op.emit_cancel(); });
}

/// Steps 2-6: starts `init(handler, args...)` on its I/O object's thread and
/// suspends until it completed. Says whether the wait asked the operation to
/// stop. `init` and `args` must live until this returns (they do: the
/// caller's frame waits here).
template <class Op, class Initiation, class... Args>
TaskOpEnd run_task_op(Op& op, TaskOpClock::time_point deadline, Initiation& init, Args&&... args) {
  if constexpr (requires { init.get_executor(); }) {
    auto ex = init.get_executor();
    op.set_canceller(&post_cancel_to<decltype(ex)>, &ex);
    const boost::asio::execution_context& ctx = boost::asio::query(ex, boost::asio::execution::context);
    if (on_loop_of(ctx)) {
      std::move(init)(op.handler(), std::forward<Args>(args)...);
    } else {
      // The handler travels with the posted function: if the io_context drops
      // it unrun, the handler's destructor abandons the op and wakes us.
      boost::asio::post(ex, [&init, h = op.handler(), &args...]() mutable {
        std::move(init)(std::move(h), std::forward<Args>(args)...);
      });
    }
    return op.wait(deadline);
  } else {
    // No executor to reach: the operation starts here, and a cancellation is
    // emitted from the waiting task's thread (safe only for operations whose
    // cancellation handler tolerates that; every Asio I/O object's initiation
    // has an executor, so this is for hand-written initiations).
    std::move(init)(op.handler(), std::forward<Args>(args)...);
    return op.wait(deadline);
  }
}

} // namespace detail
} // namespace coreio

namespace boost::asio {

/// use_task for a single-signature Asio operation (see coreio/use_task.hpp).
template <class R, class... A>
class async_result<coreio::use_task_t, R(A...)> {
public:
  using return_type = typename coreio::detail::TaskOp<std::decay_t<A>...>::return_type;

  template <class Initiation, class... Args>
  static return_type initiate(Initiation&& init, coreio::use_task_t token, Args&&... args) {
    coreio::detail::check_cancel();
    coreio::detail::TaskOp<std::decay_t<A>...> op;
    const auto end = coreio::detail::run_task_op(op, token.deadline, init, std::forward<Args>(args)...);
    return op.take(end);
  }
};

} // namespace boost::asio
