// gather (gather.hpp): the gathering future.
//
// asyncio's gather returns a _GatheringFuture: a done callback on every child
// counts completions and completes the outer future, and cancelling the outer
// future cancels the children. coreio keeps that shape. GatherState is the
// outer future; the gathering task blocks in its wait(), so TaskBase::cancel()
// reaches GatherState::cancel() through the task's awaited future, exactly as
// asyncio's Task.cancel() reaches _GatheringFuture.cancel() via _fut_waiter.
//
// Unlike asyncio, the children's callbacks (run on the gathering task's loop)
// and cancel() (run by whoever cancels, on any thread) are concurrent, so the
// bookkeeping sits under `mu_`. The outer future is completed only under
// `mu_`, so "done" read under `mu_` is final. One race needs care:
//  1. cancel() must cancel the children without holding `mu_` (cancelling a
//     plain Future runs done callbacks that were added from threads with no
//     loop inline, and ours takes `mu_`).
//  2. Meanwhile the last child may finish. If its callback completed the
//     outer future with the results, the cancellation would be lost although
//     cancel() reports success. So while a cancel() is in flight
//     (`cancels_in_flight_`), the last callback only records that everything
//     is done (`finish_deferred_`), and the cancel() completes the outer
//     future when it ends, with CancelledError if any child accepted.
#include "coreio/gather.hpp"

#include <algorithm>
#include <mutex>

#include "coreio/detail/spin_lock.hpp"

namespace coreio::detail {

namespace {

class GatherState final : public FutureStateBase {
public:
  GatherState(std::vector<Ref<FutureStateBase>> children, bool return_exceptions)
      : children_(std::move(children)), return_exceptions_(return_exceptions) {}

  /// A child that failed after the gather ended is retrieved in child_done(),
  /// a callback posted to the gathering loop. If that loop is torn down first
  /// (run() returned right after the gather), the callback is dropped and
  /// this state, which the callback held, goes: retrieve those failures here,
  /// while the children are still referenced, so none is reported as never
  /// retrieved (asyncio's _done_callback retrieves every failure it sees).
  ~GatherState() override {
    for (const auto& c : children_)
      if (c->status() == Status::exception) (void)c->exception(); // cannot throw for a failed future
  }

  /// Registers the done callbacks (on the calling loop, like asyncio's).
  void start() {
    for (const auto& c : children_)
      c->add_done_callback([self = Ref<GatherState>::share(this)](FutureStateBase* child) { self->child_done(*child); });
  }

  /// _GatheringFuture.cancel: cancel every child; true if any accepted.
  bool cancel(std::string msg) override {
    {
      std::lock_guard g(mu_);
      if (done()) return false;
      ++cancels_in_flight_;
    }
    bool accepted = false;
    for (const auto& c : children_)
      if (c->cancel(msg)) accepted = true;
    std::lock_guard g(mu_);
    --cancels_in_flight_;
    if (accepted) {
      // asyncio (bpo-32684): once a child accepted, the gather ends in
      // CancelledError even with return_exceptions.
      cancel_requested_ = true;
      cancel_msg_ = std::move(msg);
    }
    if (cancels_in_flight_ == 0 && finish_deferred_ && !done()) finish_all_locked();
    return accepted;
  }

  std::string describe() const override { return "gather"; }

private:
  void child_done(FutureStateBase& child) {
    std::lock_guard g(mu_);
    ++finished_;
    if (done()) {
      // The gather already failed; later failures are retrieved, not logged.
      (void)failure_of(child);
      return;
    }
    if (!return_exceptions_) {
      if (std::exception_ptr e = failure_of(child)) {
        fail_locked(std::move(e));
        return;
      }
    }
    if (finished_ < children_.size()) return;
    if (cancels_in_flight_ > 0) {
      finish_deferred_ = true; // step 2 of the file comment
      return;
    }
    finish_all_locked();
  }

  void finish_all_locked() {
    if (cancel_requested_) {
      fail_locked(std::make_exception_ptr(CancelledError(cancel_msg_)));
      return;
    }
    complete(Status::result, [] {});
  }

  void fail_locked(std::exception_ptr e) {
    // The gathering task reads the failure; if it is gone (cancelled before
    // it could), the failure belongs to the child, which already reported it.
    complete(Status::exception, [&] {
      exc_ = std::move(e);
      retrieved_ = true;
    });
  }

  SpinLock mu_; ///< guards everything below and every completion of this future
  const std::vector<Ref<FutureStateBase>> children_;
  const bool return_exceptions_;
  std::size_t finished_ = 0;
  int cancels_in_flight_ = 0;
  bool cancel_requested_ = false;
  bool finish_deferred_ = false;
  std::string cancel_msg_;
};

} // namespace

void gather_wait(std::span<FutureStateBase* const> children, bool return_exceptions) {
  if (children.empty()) return; // asyncio: an already-done future with []
  // Callbacks are added in argument order (asyncio's order), each child once.
  const std::vector<bool> first = first_occurrences(children);
  std::vector<Ref<FutureStateBase>> unique;
  unique.reserve(children.size());
  for (std::size_t i = 0; i < children.size(); ++i)
    if (first[i]) unique.push_back(Ref<FutureStateBase>::share(children[i]));
  auto outer = Ref<GatherState>::adopt(new GatherState(std::move(unique), return_exceptions));
  outer->start();
  outer->wait();
  outer->rethrow_if_failed();
}

} // namespace coreio::detail
