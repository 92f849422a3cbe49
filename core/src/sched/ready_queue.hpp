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

#include "coreio/detail/handle_state.hpp"
#include "coreio/detail/task_base.hpp"
#include "sched/run_queue.hpp"

namespace coreio::detail {

class RuntimeImpl;
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
  ReadyQueue(RuntimeImpl& rt, LoopImpl& owner, bool lifo) noexcept : rt_(rt), owner_(owner), lifo_enabled_(lifo) {}

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

  RuntimeImpl& rt_;
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

} // namespace coreio::detail
