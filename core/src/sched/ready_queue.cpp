// ReadyQueue (ready_queue.hpp): pushes by kind and shape, pop in ready order,
// overflow to the global queue, stealing.
#include "sched/ready_queue.hpp"

#include <utility>

#include "runtime/runtime_impl.hpp"

namespace coreio::detail {

void ReadyQueue::push_fifo(QueueLink* n) noexcept {
  if (n->kind_ == QueueLink::Kind::task) static_cast<TaskBase*>(n)->ticket_ = next_ticket();
  else static_cast<HandleState*>(n)->ticket_ = next_ticket();
  n->qnext_ = nullptr;
  if (fifo_tail_) fifo_tail_->qnext_ = n;
  else fifo_head_ = n;
  fifo_tail_ = n;
  fifo_depth_.store(++fifo_size_, std::memory_order_relaxed);
}

QueueLink* ReadyQueue::fifo_pop() noexcept {
  QueueLink* n = fifo_head_;
  if (!n) return nullptr;
  fifo_head_ = n->qnext_;
  if (!fifo_head_) fifo_tail_ = nullptr;
  n->qnext_ = nullptr;
  fifo_depth_.store(--fifo_size_, std::memory_order_relaxed);
  return n;
}

std::uint64_t ReadyQueue::fifo_head_ticket() const noexcept {
  return fifo_head_->kind_ == QueueLink::Kind::task ? static_cast<TaskBase*>(fifo_head_)->ticket_
                                                    : static_cast<HandleState*>(fifo_head_)->ticket_;
}

void ReadyQueue::push_ring(TaskBase* t) noexcept {
  if (!local_.push(t, next_ticket())) overflow(t);
  local_depth_.store(local_.size(), std::memory_order_relaxed);
}

void ReadyQueue::overflow(TaskBase* t) noexcept {
  // Tokio: move half of the ring plus t to the global queue, so other loops
  // can take them in batches.
  TaskBase* first = nullptr;
  TaskBase* last = nullptr;
  std::size_t n = 0;
  for (std::size_t i = 0; i < local_queue_capacity / 2; ++i) {
    TaskBase* x = local_.pop();
    if (!x) break;
    x->qnext_ = nullptr;
    if (last) last->qnext_ = x;
    else first = x;
    last = x;
    ++n;
  }
  t->qnext_ = nullptr;
  if (last) last->qnext_ = t;
  else first = t;
  last = t;
  rt_.injector().push_batch(first, last, n + 1);
  rt_.idle().notify_if_no_searchers();
}

void ReadyQueue::push_task(TaskBase* t, bool by_running_task) noexcept {
  t->loop_.store(&owner_, std::memory_order_relaxed);
  if (t->pinned_) {
    push_fifo(t);
    return;
  }
  if (by_running_task && lifo_enabled_) {
    // The LIFO slot is not stealable, so filling it gives idle loops nothing
    // to do: wake one only if the slot's previous task went to the ring
    // (Tokio's schedule_local). Notifying on every wake made an idle loop
    // unpark, search, find nothing and park again once per message.
    TaskBase* prev = std::exchange(lifo_slot_, t);
    if (!prev) return;
    push_ring(prev);
  } else {
    push_ring(t);
  }
  rt_.idle().notify_if_no_searchers();
}

void ReadyQueue::push_requeued(TaskBase* t) noexcept {
  if (fifo_head_) {
    t->loop_.store(&owner_, std::memory_order_relaxed);
    push_fifo(t);
    return;
  }
  push_task(t, false);
}

void ReadyQueue::push_front(TaskBase* child) noexcept {
  child->loop_.store(&owner_, std::memory_order_relaxed);
  front_.push_back(child);
}

void ReadyQueue::push_below_front(TaskBase* parent) noexcept {
  front_.insert(front_.end() - 1, parent); // below the child pushed by push_front()
}

QueueLink* ReadyQueue::pop() noexcept {
  if (!front_.empty()) {
    TaskBase* t = front_.back();
    front_.pop_back();
    return t;
  }
  if (lifo_slot_ && lifo_polls_ < max_lifo_polls) {
    ++lifo_polls_;
    return std::exchange(lifo_slot_, nullptr);
  }
  lifo_polls_ = 0;
  if (lifo_slot_) push_ring(std::exchange(lifo_slot_, nullptr)); // fairness: back of the line
  if (fifo_head_) {
    // The ring head's ticket comes from the ring's own tag: the head task may
    // be stolen (and freed) at any moment, so it is never dereferenced here.
    std::uint64_t ring_ticket = 0;
    if (!local_.peek_tag(ring_ticket) || fifo_head_ticket() < ring_ticket) return fifo_pop();
  }
  if (TaskBase* t = local_.pop()) {
    local_depth_.store(local_.size(), std::memory_order_relaxed);
    return t;
  }
  return nullptr;
}

std::size_t ReadyQueue::steal_into(ReadyQueue& thief) noexcept { return local_.steal_into(thief.local_); }

void ReadyQueue::drop_callbacks() noexcept {
  while (QueueLink* n = fifo_pop())
    if (n->kind_ != QueueLink::Kind::task) static_cast<HandleState*>(n)->release();
}

} // namespace coreio::detail
