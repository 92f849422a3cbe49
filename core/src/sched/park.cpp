// Parking: a loop with nothing to do sleeps in its io_context until IO, a
// timer or a post wakes it.
//
// # Protocol
//  1. park() sets `parked_` (SeqCst), registers as parked if it steals
//     (idle.hpp rule 4), and prepares its io_uring (uring_driver.hpp).
//  2. It re-checks for work that arrived meanwhile: completions, its inbox,
//     the injector (if it steals), a stop request. Any: it does not block.
//  3. Else it arms `wake_timer_` for its earliest timer and blocks in
//     io_context::run_one(), which returns for IO, the timer, or a post.
//  4. Whoever adds work for the loop pushes first and then calls unpark(),
//     which clears `parked_` and posts a no-op handler if it was set.
// The two SeqCst pairs (push, then load `parked_` in unpark(); store
// `parked_`, then load the inbox in step 2) form a Dekker handshake: either
// the loop sees the work or the pusher sees the loop parked (inbox.hpp).
#include <boost/asio/post.hpp>

#include "runtime/runtime_impl.hpp"
#include "sched/loop_impl.hpp"

namespace coreio::detail {

void LoopImpl::unpark() noexcept {
  // SeqCst: second half of the Dekker pair with park() (see inbox.hpp).
  if (parked_.load(std::memory_order_seq_cst) && parked_.exchange(false, std::memory_order_acq_rel))
    boost::asio::post(io_, [] {});
}

void LoopImpl::arm_wake_timer() {
  const auto deadline = timers_.next_deadline();
  if (deadline == std::chrono::steady_clock::time_point::max() || deadline == armed_for_) return;
  armed_for_ = deadline;
  wake_timer_.expires_at(armed_for_);
  wake_timer_.async_wait(
      [this](const boost::system::error_code&) { armed_for_ = std::chrono::steady_clock::time_point::max(); });
}

void LoopImpl::park() {
  const bool visible = stealer_.parks_visible();
  // SeqCst: first half of the Dekker pair with Inbox::push / unpark().
  parked_.store(true, std::memory_order_seq_cst);
  if (visible) rt_.idle().register_parked(this);
  const bool completions = uring_.prepare_park();
  const bool work = completions || !inbox_.empty_seq_cst() || (visible && rt_.injector().size() > 0) ||
      stop_requested_.load(std::memory_order_acquire);
  if (!work) {
    arm_wake_timer();
    counters_.bump(counters_.parks);
    const std::size_t n = io_.run_one();
    if (n) counters_.bump(counters_.io_events, n);
  }
  uring_.after_park();
  parked_.store(false, std::memory_order_relaxed);
  if (visible) rt_.idle().unregister_parked(this);
}

} // namespace coreio::detail
