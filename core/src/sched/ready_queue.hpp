// ReadyQueue: everything a loop may run next, in the order it runs it. This
// is the one place that knows the runtime's shape; the loop asks it for the
// next item and never branches on the shape itself.
//
// # Queues
//  - `fifo_`: callbacks (call_soon, due timers, done callbacks) and *pinned*
//    tasks; an intrusive FIFO list. Never stolen. With one loop or with
//    stealing off every task is pinned (spawn.cpp), so `fifo_` is the whole
//    ready queue and ready tasks and callbacks run in exactly asyncio's order
//    (FIFO; a woken task queues behind what is already ready).
//  - `local_`: the stealable ring of unpinned tasks (work-stealing shape),
//    Tokio's local queue (run_queue.hpp). When full, half of it moves to the
//    runtime's global queue (overflow), where other loops take it in batches.
//  - `lifo_slot_`: one unpinned task woken by the running task, run next
//    (Tokio's LIFO slot; only in the multi-loop stealing shape). Not stealable.
//  - `front_`: tasks that must run before anything else (eager start: the
//    child, then the parent that stepped aside for it).
//
// # Ready order
// Each item gets a *ticket* (this loop's counter) when it is queued on
// `fifo_` or `local_`; pop() takes whichever head was queued first, so the
// interleaving of callbacks and tasks stays FIFO on each loop in every shape.
// Before both: `front_`, then the LIFO slot at most `max_lifo_polls` times in
// a row (then it goes to the back of the ring, for fairness).
//
// Loop thread only, except steal_into() (any loop, through the ring's own
// protocol) and the depth gauges (relaxed reads by metrics()).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <utility>

#include "coreio/detail/handle_state.hpp"
#include "coreio/detail/task_base.hpp"
#include "sched/idle.hpp"
#include "sched/injector.hpp"
#include "sched/run_queue.hpp"

namespace coreio::detail {

class LoopImpl;

/// Capacity of a loop's stealable ring (Tokio's LOCAL_QUEUE_CAPACITY).
inline constexpr std::size_t local_queue_capacity = 256;
/// Consecutive LIFO-slot runs before the loop takes from the queue instead,
/// so two tasks ping-ponging through the slot cannot starve the rest
/// (Tokio's MAX_LIFO_POLLS_PER_TICK).
inline constexpr std::uint32_t max_lifo_polls = 3;

class ReadyQueue {
public:
  /// `lifo`: use the LIFO slot (the runtime enables it for multi-loop stealing).
  /// Overflow goes to `injector`; new stealable work may wake a loop in `idle`.
  ReadyQueue(Injector& injector, Idle& idle, LoopImpl& owner, bool lifo) noexcept
      : injector_(injector), idle_(idle), owner_(owner), lifo_enabled_(lifo) {}

  /// A callback, timer or pinned task, at the back of the FIFO.
  void push_fifo(QueueLink* n) noexcept;
  /// A SCHEDULED task that belongs to this loop. `by_running_task`: woken by
  /// the task running here now (eligible for the LIFO slot) rather than
  /// spawned, stolen or arriving from elsewhere.
  void push_task(TaskBase* t, bool by_running_task) noexcept;
  /// A task that yielded (woken during its own step): behind the callbacks
  /// already queued here, if any, instead of the stealable ring where another
  /// loop could resume it first (asyncio runs those callbacks first).
  void push_requeued(TaskBase* t) noexcept;
  /// Eager start: `child` runs before anything else...
  void push_front(TaskBase* child) noexcept;
  /// ...and `parent`, which stepped aside for it, right after it.
  void push_below_front(TaskBase* parent) noexcept;
  /// A task taken from the global queue or handed over by a thief.
  void push_ring(TaskBase* t) noexcept;

  /// The next item to run (a task or a callback), or nullptr.
  [[nodiscard]] QueueLink* pop() noexcept;
  [[nodiscard]] bool has_ready() const noexcept {
    return !front_.empty() || lifo_slot_ || fifo_head_ || !local_.empty();
  }
  [[nodiscard]] bool has_callbacks() const noexcept { return fifo_head_ != nullptr; }
  /// Free slots in the stealable ring.
  [[nodiscard]] std::size_t ring_room() const noexcept { return local_queue_capacity - local_.size(); }
  /// Moves about half of this queue's stealable tasks into `thief`'s ring.
  std::size_t steal_into(ReadyQueue& thief) noexcept;
  /// Publishes the ring's depth for metrics (after a thief filled it).
  void note_ring_depth() noexcept { local_depth_.store(local_.size(), std::memory_order_relaxed); }
  /// Teardown: releases every queued callback (tasks cannot be queued then).
  void drop_callbacks() noexcept;

  [[nodiscard]] std::size_t ring_depth() const noexcept { return local_depth_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t fifo_depth() const noexcept { return fifo_depth_.load(std::memory_order_relaxed); }

private:
  [[nodiscard]] QueueLink* fifo_pop() noexcept;
  [[nodiscard]] std::uint64_t fifo_head_ticket() const noexcept;
  void overflow(TaskBase* t) noexcept;
  std::uint64_t next_ticket() noexcept { return ++ticket_; }

  Injector& injector_;
  Idle& idle_;
  LoopImpl& owner_;
  const bool lifo_enabled_;
  QueueLink* fifo_head_ = nullptr;
  QueueLink* fifo_tail_ = nullptr;
  std::size_t fifo_size_ = 0;
  RunQueue<TaskBase, local_queue_capacity> local_;
  TaskBase* lifo_slot_ = nullptr;
  std::uint32_t lifo_polls_ = 0;
  std::vector<TaskBase*> front_;
  std::uint64_t ticket_ = 0;
  std::atomic<std::size_t> local_depth_{0};
  std::atomic<std::size_t> fifo_depth_{0};
};

// The hot paths, inline: every step goes through them.

inline void ReadyQueue::push_fifo(QueueLink* n) noexcept {
  if (n->kind_ == QueueLink::Kind::task) static_cast<TaskBase*>(n)->ticket_ = next_ticket();
  else static_cast<HandleState*>(n)->ticket_ = next_ticket();
  n->qnext_ = nullptr;
  if (fifo_tail_) fifo_tail_->qnext_ = n;
  else fifo_head_ = n;
  fifo_tail_ = n;
  fifo_depth_.store(++fifo_size_, std::memory_order_relaxed);
}

inline QueueLink* ReadyQueue::fifo_pop() noexcept {
  QueueLink* n = fifo_head_;
  if (!n) return nullptr;
  fifo_head_ = n->qnext_;
  if (!fifo_head_) fifo_tail_ = nullptr;
  n->qnext_ = nullptr;
  fifo_depth_.store(--fifo_size_, std::memory_order_relaxed);
  return n;
}

inline std::uint64_t ReadyQueue::fifo_head_ticket() const noexcept {
  return fifo_head_->kind_ == QueueLink::Kind::task ? static_cast<TaskBase*>(fifo_head_)->ticket_
                                                    : static_cast<HandleState*>(fifo_head_)->ticket_;
}

inline void ReadyQueue::push_ring(TaskBase* t) noexcept {
  if (!local_.push(t, next_ticket())) overflow(t);
  local_depth_.store(local_.size(), std::memory_order_relaxed);
}

inline void ReadyQueue::push_task(TaskBase* t, bool by_running_task) noexcept {
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
  idle_.notify_if_no_searchers();
}

inline void ReadyQueue::push_requeued(TaskBase* t) noexcept {
  if (fifo_head_) {
    t->loop_.store(&owner_, std::memory_order_relaxed);
    push_fifo(t);
    return;
  }
  push_task(t, false);
}

inline void ReadyQueue::push_front(TaskBase* child) noexcept {
  child->loop_.store(&owner_, std::memory_order_relaxed);
  front_.push_back(child);
}

inline void ReadyQueue::push_below_front(TaskBase* parent) noexcept {
  front_.insert(front_.end() - 1, parent); // below the child pushed by push_front()
}

inline QueueLink* ReadyQueue::pop() noexcept {
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

} // namespace coreio::detail
