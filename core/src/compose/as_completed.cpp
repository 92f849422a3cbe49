// as_completed (as_completed.hpp): asyncio's _AsCompletedIterator.
//
// asyncio feeds a Queue from done callbacks and a timeout callback; next()
// takes from the queue. coreio does the same with its own small queue:
//  1. `done_` holds indices of done futures in completion order; at the
//     deadline, on_timeout() removes the callbacks of the futures still
//     pending and queues one `timed_out` sentinel for each, so every later
//     next() raises TimeoutError once per future left (asyncio's behaviour).
//  2. Consumers wait with the waiter protocol (waiter.hpp): a consumer finding
//     `done_` empty links a Waiter and sleeps; on_done()/on_timeout() fire
//     waiters under `mu_`. Items are never handed to a waiter, only made
//     visible in `done_`, so a consumer cancelled after being fired loses
//     nothing: it passes the wake-up on to the next waiter (step 4 of the
//     protocol) and the item stays queued for the next next().
//  3. `left_` counts what next() has yet to hand out (a future or a
//     TimeoutError); it drops only when an entry is taken.
//  4. The callbacks and the timer hold references to this state, never to
//     the AsCompleted; close() (from ~AsCompleted, while the futures are
//     still alive) cancels the timer and removes the callbacks, so neither
//     touches `futs_` afterwards. Handles are destroyed outside `mu_`.
#include "coreio/as_completed.hpp"

#include <mutex>

#include "coreio/loop.hpp"

namespace coreio::detail {

namespace {
constexpr std::size_t timed_out = static_cast<std::size_t>(-1);
} // namespace

AsCompletedState::AsCompletedState(std::span<FutureStateBase* const> fs)
    : futs_(fs.begin(), fs.end()), ids_(fs.size(), 0), pending_(fs.size(), true), pending_count_(fs.size()),
      left_(fs.size()) {}

void AsCompletedState::start(std::optional<std::chrono::nanoseconds> timeout) {
  for (std::size_t i = 0; i < futs_.size(); ++i) {
    const std::uint64_t id =
        futs_[i]->add_done_callback([self = Ref<AsCompletedState>::share(this), i](FutureStateBase*) { self->on_done(i); });
    std::lock_guard g(mu_);
    ids_[i] = id;
  }
  if (!timeout || futs_.empty()) return;
  TimerHandle h = get_running_loop().call_later(*timeout, [self = Ref<AsCompletedState>::share(this)] { self->on_timeout(); });
  std::lock_guard g(mu_);
  timer_ = std::move(h);
}

void AsCompletedState::on_done(std::size_t i) {
  WakeRef consumer;
  TimerHandle timer;
  {
    std::lock_guard g(mu_);
    if (!pending_[i]) return; // on_timeout() was here first
    pending_[i] = false;
    --pending_count_;
    done_.push_back(i);
    if (pending_count_ == 0) timer = std::move(timer_);
    if (Waiter* w = waiters_.front()) consumer = fire(waiters_, w);
  }
  timer.cancel();
  consumer.wake();
}

void AsCompletedState::on_timeout() {
  std::vector<WakeRef> consumers;
  TimerHandle timer;
  {
    std::lock_guard g(mu_);
    if (closed_) return;
    timer = std::move(timer_);
    for (std::size_t i = 0; i < futs_.size(); ++i) {
      if (!pending_[i]) continue;
      // Lock order: mu_, then the future's lock (its callbacks never run under it).
      futs_[i]->remove_done_callback(ids_[i]);
      pending_[i] = false;
      done_.push_back(timed_out);
    }
    pending_count_ = 0;
    while (Waiter* w = waiters_.front()) consumers.push_back(fire(waiters_, w));
  }
  for (auto& c : consumers) c.wake();
}

std::optional<std::size_t> AsCompletedState::next() {
  Waiter w;
  w.target = &current_wakeable();
  for (;;) {
    mu_.lock();
    if (left_ == 0) {
      mu_.unlock();
      return std::nullopt;
    }
    if (!done_.empty()) {
      const std::size_t i = done_.front();
      done_.pop_front();
      --left_;
      mu_.unlock();
      if (i == timed_out) throw TimeoutError();
      return i;
    }
    mu_.unlock();
    ensure_can_suspend();
    mu_.lock();
    // Relaxed: a fresh wait; fire() publishes with Release under mu_.
    w.fired.store(false, std::memory_order_relaxed);
    waiters_.push_back(&w);
    mu_.unlock();
    switch (wait_until_fired(w, mu_, waiters_)) {
    case WaitResult::fired: continue; // re-check done_ (step 2)
    case WaitResult::cancelled: throw_cancelled();
    case WaitResult::fired_and_cancelled: {
      WakeRef next;
      {
        std::lock_guard g(mu_);
        if (!done_.empty())
          if (Waiter* other = waiters_.front()) next = fire(waiters_, other);
      }
      next.wake();
      throw_cancelled();
    }
    }
  }
}

std::size_t AsCompletedState::remaining() const noexcept {
  std::lock_guard g(mu_);
  return left_;
}

void AsCompletedState::close() noexcept {
  TimerHandle timer;
  {
    std::lock_guard g(mu_);
    if (closed_) return;
    closed_ = true;
    timer = std::move(timer_);
    for (std::size_t i = 0; i < futs_.size(); ++i)
      if (pending_[i]) futs_[i]->remove_done_callback(ids_[i]);
    futs_.clear();
  }
  timer.cancel();
}

} // namespace coreio::detail
