// wait (wait.hpp): asyncio's _wait, on done callbacks and a private waiter.
//
// 1. A private waiter future is created; with a timeout, a timer on the
//    caller's loop completes it (asyncio's _release_waiter).
// 2. A done callback on every future counts completions and completes the
//    waiter once return_when is met. Callbacks run on the loop the caller was
//    on (or inline, from a thread with no loop), possibly several loops at
//    once for futures of a plain-thread caller, so the count is atomic.
// 3. The caller blocks on the waiter, not on the futures: cancelling the
//    caller cancels only the waiter (TaskBase::cancel cancels the awaited
//    future), never the futures it waits for.
// 4. On the way out (also on CancelledError) the timer is cancelled and the
//    callbacks are removed; one that already ran, or is queued, only touches
//    the shared WaitState, which it keeps alive.
//
// The timer captures the waiter, not the WaitState: the WaitState holds the
// timer's handle, so capturing it would make a reference cycle.
#include "coreio/wait.hpp"

#include <atomic>
#include <cstdint>

#include "coreio/loop.hpp"

namespace coreio::detail {

namespace {

class WaitState final : public RefCounted {
public:
  WaitState(std::size_t n, ReturnWhen when) : left_(n), when_(when) {}

  /// Step 2: asyncio's _on_completion.
  void on_completion(FutureStateBase& f) {
    // Relaxed: only the count itself is needed; what the caller reads after
    // waking (the futures' states) is published by their own completion.
    const std::size_t left = left_.fetch_sub(1, std::memory_order_relaxed) - 1;
    bool release = left == 0 || when_ == FIRST_COMPLETED;
    if (!release && when_ == FIRST_EXCEPTION && f.status() == Status::exception) {
      (void)failure_of(f); // asyncio's f.exception(): the failure counts as seen
      release = true;
    }
    if (!release) return;
    timer_.cancel();
    (void)waiter_->set_result(); // false if the timer or a cancel got there first
  }

  const Ref<FutureState<void>> waiter_ = Ref<FutureState<void>>::adopt(new FutureState<void>());
  /// Set before any callback is added; only cancel() (thread-safe) afterwards.
  TimerHandle timer_;

private:
  std::atomic<std::size_t> left_;
  const ReturnWhen when_;
};

} // namespace

void wait_states(std::span<FutureStateBase* const> fs, const WaitOptions& opts) {
  if (fs.empty()) throw ValueError("Set of Tasks/Futures is empty.");
  if (opts.return_when != FIRST_COMPLETED && opts.return_when != FIRST_EXCEPTION && opts.return_when != ALL_COMPLETED)
    throw ValueError("Invalid return_when value");
  auto st = Ref<WaitState>::adopt(new WaitState(fs.size(), opts.return_when));
  if (opts.timeout) {
    st->timer_ = get_running_loop().call_later(*opts.timeout, [w = st->waiter_] { (void)w->set_result(); });
  }
  std::vector<std::uint64_t> ids;
  ids.reserve(fs.size());
  for (FutureStateBase* f : fs)
    ids.push_back(f->add_done_callback([st](FutureStateBase* done) { st->on_completion(*done); }));
  struct Cleanup { // step 4, asyncio's `finally`
    WaitState& st;
    std::span<FutureStateBase* const> fs;
    const std::vector<std::uint64_t>& ids;
    ~Cleanup() {
      st.timer_.cancel();
      for (std::size_t i = 0; i < fs.size(); ++i) fs[i]->remove_done_callback(ids[i]);
    }
  } cleanup{*st, fs, ids};
  st->waiter_->wait();
  st->waiter_->rethrow_if_failed(); // cancelled: our caller was cancelled
}

} // namespace coreio::detail
