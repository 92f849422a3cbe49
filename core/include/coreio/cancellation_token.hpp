// CancellationToken: a cancellation signal that many tasks can watch, shared
// by copy, arranged in a tree (tokio_util's CancellationToken). An extension
// to asyncio, which cancels tasks one by one.
//
//   coreio::CancellationToken stop;
//   auto worker = coreio::create_task([stop] {
//     while (!stop.is_cancelled()) do_some_work();
//   });
//   auto watcher = coreio::create_task([stop] { stop.cancelled(); cleanup(); });
//   auto r = coreio::run_until_cancelled(stop, [] { return fetch(); }); // nullopt if stop fires first
//   stop.cancel(); // from any task or thread
//
// Copies of a token share one signal. child_token() makes a new token that is
// cancelled when its parent is (cancelling the child leaves the parent
// alone). A child keeps its parent's state alive; the parent holds its
// children only weakly, so a child dropped before its parent is cancelled
// leaves nothing behind in it. A child made from a cancelled token starts
// cancelled. DropGuard cancels a token when it leaves scope, unless disarmed.
//
// Thread safety: every member is safe from any task, loop or plain thread,
// concurrently.
// Resumes on: a task waiting in cancelled() is woken by the cancel(), through
// a private future: posted to the waiter's loop, never run on the canceller's
// stack; a plain thread waiting there is unparked.
// Cancellation: cancelling a task waiting in cancelled() raises CancelledError
// there and leaves the token alone. run_until_cancelled(): see its comment.
// Throws: cancelled() throws CancelledError if the waiting task is cancelled,
// RuntimeError from a loop callback outside any task (it would block the
// loop). cancel(), is_cancelled(), child_token() never throw anything but
// std::bad_alloc.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "coreio/detail/awaitable.hpp"
#include "coreio/detail/function.hpp"
#include "coreio/detail/ref.hpp"
#include "coreio/detail/spin_lock.hpp"
#include "coreio/task.hpp"

namespace coreio {

namespace detail {

/// One node of a token tree (core/src/control/cancellation_token.cpp).
class TokenState final : public RefCounted {
public:
  TokenState() = default;
  explicit TokenState(Ref<TokenState> parent) : parent_(std::move(parent)) {}
  ~TokenState() override;

  [[nodiscard]] bool is_cancelled() const noexcept {
    // Acquire: pairs with the Release store in cancel_locked(), so what the
    // canceller did before cancel() is visible to whoever sees the flag.
    return cancelled_.load(std::memory_order_acquire);
  }
  void cancel();
  /// A new child node, registered with this one (cancelled already if this is).
  [[nodiscard]] Ref<TokenState> make_child();
  /// fn runs once, on the thread that cancels, after every lock is released;
  /// at once (inline) if already cancelled, and then 0 is returned. Otherwise
  /// returns an id for remove_callback().
  std::uint64_t on_cancel(Function<void()> fn);
  /// False if the callback already ran or is about to (cancel() took it).
  bool remove_callback(std::uint64_t id);

private:
  using Callbacks = std::vector<Function<void()>>;
  /// Marks this node and its subtree cancelled, collecting their callbacks.
  /// Called with mu_ held; takes each child's lock (ancestor before descendant).
  void cancel_locked(Callbacks& out);

  mutable SpinLock mu_; ///< guards children_, callbacks_, next_id_
  std::atomic<bool> cancelled_{false};
  /// Strong: a child keeps its parent alive, so the parent outlives every
  /// child's unregistration in ~TokenState().
  const Ref<TokenState> parent_{};
  /// Weak: a child unregisters itself when its last handle goes.
  std::vector<TokenState*> children_;
  std::vector<std::pair<std::uint64_t, Function<void()>>> callbacks_;
  std::uint64_t next_id_ = 1;
};

} // namespace detail

class DropGuard;

class CancellationToken {
public:
  /// A new root token, not cancelled.
  CancellationToken() : s_(detail::Ref<detail::TokenState>::adopt(new detail::TokenState())) {}

  /// Cancels this token and every token below it; idempotent. Wakes every
  /// waiter of cancelled() and stops every run_until_cancelled() on them.
  void cancel() const { s_->cancel(); }
  [[nodiscard]] bool is_cancelled() const noexcept { return s_->is_cancelled(); }
  /// A token cancelled with this one (not the reverse).
  [[nodiscard]] CancellationToken child_token() const { return CancellationToken(s_->make_child()); }
  /// Waits (suspends a task, blocks a plain thread) until the token is cancelled.
  void cancelled() const;
  /// A guard that cancels this token when it is destroyed.
  [[nodiscard]] DropGuard drop_guard() const;

  friend bool operator==(const CancellationToken& a, const CancellationToken& b) noexcept { return a.s_ == b.s_; }

private:
  friend struct detail::Access;
  explicit CancellationToken(detail::Ref<detail::TokenState> s) : s_(std::move(s)) {}
  detail::Ref<detail::TokenState> s_;
};

/// Cancels its token when destroyed, unless disarm() was called (tokio_util's DropGuard).
class DropGuard {
public:
  explicit DropGuard(CancellationToken token) : token_(std::move(token)) {}
  DropGuard(DropGuard&&) noexcept = default;
  DropGuard& operator=(DropGuard&&) = delete;
  DropGuard(const DropGuard&) = delete;
  DropGuard& operator=(const DropGuard&) = delete;
  ~DropGuard() {
    if (token_) token_->cancel();
  }
  /// Gives the token back; it will not be cancelled by this guard.
  CancellationToken disarm() noexcept {
    CancellationToken t = std::move(*token_);
    token_.reset();
    return t;
  }

private:
  std::optional<CancellationToken> token_;
};

inline DropGuard CancellationToken::drop_guard() const { return DropGuard(*this); }

namespace detail {

/// run_until_cancelled's wait: cancels `task` when the token fires, waits for
/// it to finish. True if the token's cancellation ended it (return nullopt);
/// false if it ended another way (read its outcome). Throws CancelledError if
/// the calling task was cancelled (the inner task was cancelled and awaited).
bool await_unless_cancelled(TokenState& token, const Ref<FutureStateBase>& task);

} // namespace detail

/// tokio_util's run_until_cancelled: runs fn as a new task and returns its
/// value, or nullopt if `token` is cancelled first. Then the task is cancelled
/// and its cancellation has finished (its catch blocks and destructors ran)
/// before this returns. If the token is already cancelled, fn never runs.
/// A task that swallows the cancellation and returns normally, or that ends
/// by its own exception, reports that outcome, not nullopt (the work was not
/// stopped by the token). void fn: std::optional<std::monostate>.
///
/// Cancellation: cancelling the caller cancels the inner task, waits for it,
/// and raises CancelledError. Throws: fn's exception.
template <class F>
requires std::invocable < std::decay_t<F>
& > auto run_until_cancelled(const CancellationToken& token, F&& fn, TaskOptions opts = {})
        -> std::optional<detail::stored_t<detail::task_result_t<F>>> {
  detail::check_cancel(); // a cancel already pending is raised before fn starts
  if (token.is_cancelled()) return std::nullopt;
  auto task = coreio::create_task(std::forward<F>(fn), std::move(opts));
  if (detail::await_unless_cancelled(detail::Access::state(token), detail::Access::state_ref(task)))
    return std::nullopt;
  return detail::take_result<true>(task);
}

} // namespace coreio
