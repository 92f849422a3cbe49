// TimerQueue (timers.hpp), HandleState's cancel hook, and Alarm
// (coreio/detail/alarm.hpp), the task-waking timer built on them.
#include "sched/timers.hpp"

#include <algorithm>

#include "coreio/detail/alarm.hpp"
#include "coreio/exceptions.hpp"
#include "sched/loop_impl.hpp"
#include "sched/ready_queue.hpp"

namespace coreio::detail {

namespace {
struct TimerLater {
  // Min-heap on (when, ticket): std::push_heap builds a max-heap, so invert.
  bool operator()(const Ref<HandleState>& a, const Ref<HandleState>& b) const noexcept {
    if (a->when_ != b->when_) return a->when_ > b->when_;
    return a->ticket_ > b->ticket_;
  }
};
} // namespace

void TimerQueue::add(HandleState* h) {
  h->ticket_ = ++ticket_;
  heap_.push_back(Ref<HandleState>::adopt(h));
  std::push_heap(heap_.begin(), heap_.end(), TimerLater{});
}

void TimerQueue::compact() {
  std::erase_if(heap_, [](const Ref<HandleState>& h) { return h->cancelled(); });
  std::make_heap(heap_.begin(), heap_.end(), TimerLater{});
  cancelled_.store(0, std::memory_order_relaxed);
}

std::uint64_t TimerQueue::fire_due(ReadyQueue& ready) {
  const std::size_t cancelled = cancelled_.load(std::memory_order_relaxed);
  if (heap_.size() > 100 && cancelled * 2 > heap_.size()) compact();
  if (heap_.empty()) return 0;
  const auto now = clock::now();
  std::uint64_t fired = 0;
  while (!heap_.empty() && heap_.front()->when_ <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), TimerLater{});
    Ref<HandleState> h = std::move(heap_.back());
    heap_.pop_back();
    if (h->cancelled()) continue;
    ++fired;
    ready.push_fifo(h.detach()); // the queue's reference moves to the ready FIFO
  }
  return fired;
}

TimerQueue::clock::time_point TimerQueue::next_deadline() {
  while (!heap_.empty() && heap_.front()->cancelled()) {
    std::pop_heap(heap_.begin(), heap_.end(), TimerLater{});
    heap_.pop_back();
  }
  return heap_.empty() ? clock::time_point::max() : heap_.front()->when_;
}

void HandleState::on_cancel() noexcept {
  if (kind_ == QueueLink::Kind::timer)
    if (LoopImpl* l = timer_loop_) l->note_timer_cancelled();
}

// ---------------------------------------------------------------- Alarm

void Alarm::arm(clock::time_point when, Wakeable& target, const char* what) {
  LoopImpl* loop = current_loop();
  if (!loop || !loop->current()) throw RuntimeError(std::string("coreio: ") + what + ": a deadline needs a task");
  h_ = Ref<HandleState>::adopt(new HandleState([w = WakeRef(&target)]() mutable { w.wake(); }, QueueLink::Kind::timer));
  h_->when_ = when;
  loop->post(h_.get());
}

bool Alarm::fired() const noexcept {
  // Acquire: pairs with the Release store of ran_ in LoopImpl::run_callback.
  return h_ && h_->ran_.load(std::memory_order_acquire);
}

void Alarm::cancel() noexcept {
  if (h_) h_->cancel();
}

} // namespace coreio::detail
