// CancellationToken (cancellation_token.hpp): a tree of cancellation nodes.
//
// Each node has its own lock. The tree is walked only downwards, so locks are
// always taken ancestor before descendant:
//  1. cancel() locks the node, marks it (Release store of `cancelled_`),
//     moves its callbacks out, and does the same for each registered child
//     under the child's lock, recursively. The callbacks run after every lock
//     is released, on the cancelling thread; they may do anything (complete a
//     future, cancel a task) without lock-order concerns.
//  2. A child holds a strong reference to its parent, the parent a plain
//     pointer to the child. When the child's last handle goes, ~TokenState()
//     locks the parent and unlinks itself; the parent is alive because the
//     child still holds it. A cancel() walking the parent at that moment holds
//     the parent's lock, so the destructor waits for the walk to finish before
//     the child's memory goes: the walk never touches a freed child, and a
//     dropped child never stays in its parent's list.
//  3. A child made from a cancelled node is born cancelled and never linked.
//  4. cancelled() and run_until_cancelled() register a callback and remove it
//     on the way out. A removal that loses the race with cancel() (the
//     callback was already taken) is harmless: the callback holds references
//     to what it touches (a private future, the inner task).
#include "coreio/cancellation_token.hpp"

#include <algorithm>
#include <mutex>

#include "coreio/detail/waiter.hpp"

namespace coreio::detail {

TokenState::~TokenState() {
  if (!parent_) return;
  std::lock_guard g(parent_->mu_);
  auto& siblings = parent_->children_;
  if (auto it = std::find(siblings.begin(), siblings.end(), this); it != siblings.end()) {
    *it = siblings.back();
    siblings.pop_back();
  }
}

void TokenState::cancel() {
  Callbacks run;
  {
    std::lock_guard g(mu_);
    cancel_locked(run);
  }
  for (auto& fn : run) fn();
}

void TokenState::cancel_locked(Callbacks& out) {
  // Relaxed: written only under mu_, which we hold.
  if (cancelled_.load(std::memory_order_relaxed)) return;
  // Release: pairs with the Acquire load in is_cancelled().
  cancelled_.store(true, std::memory_order_release);
  for (auto& [id, fn] : callbacks_) out.push_back(std::move(fn));
  callbacks_.clear();
  for (TokenState* child : children_) {
    std::lock_guard g(child->mu_); // step 2: the child is alive while we hold mu_
    child->cancel_locked(out);
  }
}

Ref<TokenState> TokenState::make_child() {
  auto child = Ref<TokenState>::adopt(new TokenState(Ref<TokenState>::share(this)));
  std::lock_guard g(mu_);
  // Relaxed: under mu_, which orders it with cancel_locked().
  if (cancelled_.load(std::memory_order_relaxed)) {
    // Step 3. Release: pairs with is_cancelled(), as in cancel_locked().
    child->cancelled_.store(true, std::memory_order_release);
  } else {
    children_.push_back(child.get());
  }
  return child;
}

std::uint64_t TokenState::on_cancel(Function<void()> fn) {
  {
    std::lock_guard g(mu_);
    // Relaxed: under mu_, as in make_child().
    if (!cancelled_.load(std::memory_order_relaxed)) {
      const std::uint64_t id = next_id_++;
      callbacks_.emplace_back(id, std::move(fn));
      return id;
    }
  }
  fn();
  return 0;
}

bool TokenState::remove_callback(std::uint64_t id) {
  Function<void()> dropped; // destroyed after unlocking: it may own references
  std::lock_guard g(mu_);
  auto it = std::find_if(callbacks_.begin(), callbacks_.end(), [id](const auto& c) { return c.first == id; });
  if (it == callbacks_.end()) return false;
  dropped = std::move(it->second);
  callbacks_.erase(it);
  return true;
}

namespace {
/// Step 4: removes a registration when the wait is left, however it is left.
struct Registration {
  TokenState& token;
  std::uint64_t id;
  ~Registration() {
    if (id != 0) (void)token.remove_callback(id);
  }
};
} // namespace

bool await_unless_cancelled(TokenState& token, const Ref<FutureStateBase>& task) {
  TaskBase* caller = current_task_base();
  const int cancels_before = caller ? caller->cancelling() : 0;
  Registration reg{token, token.on_cancel([task] { (void)task->cancel({}); })};
  // If the caller is cancelled meanwhile, the wait cancels the inner task
  // (asyncio: an awaiting task's cancel() cancels what it awaits) and keeps
  // waiting until it is done, so its cleanup always finishes first.
  task->wait();
  if (task->status() != Status::cancelled) return false;
  const bool caller_cancelled = caller && caller->cancelling() > cancels_before;
  return token.is_cancelled() && !caller_cancelled;
}

} // namespace coreio::detail

namespace coreio {

void CancellationToken::cancelled() const {
  if (is_cancelled()) return;
  detail::ensure_can_suspend();
  auto fired = detail::Ref<detail::FutureState<void>>::adopt(new detail::FutureState<void>());
  detail::Registration reg{*s_, s_->on_cancel([fired] { (void)fired->set_result(); })};
  // The caller waits on its private future, never on the token: cancelling
  // the caller cancels only that future (as in wait.cpp).
  fired->wait();
  fired->rethrow_if_failed();
}

} // namespace coreio
