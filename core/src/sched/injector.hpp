// Injector: the runtime's global injection queue (work-stealing shape), Tokio's
// inject.rs. Holds unpinned tasks that overflowed a loop's ring and tasks
// handed to no loop in particular; loops take them in FIFO batches.
//
// A mutex-guarded intrusive list (through qnext_), with an atomic size that
// loops read without the lock to skip an empty queue. The size is changed
// under the lock with SeqCst RMWs and read with SeqCst loads: it is one half
// of the parking handshake (idle.hpp rule 4): a loop registers as idle and
// then reads the size; a pusher adds and then looks for an idle loop.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>

#include "coreio/detail/task_base.hpp"

namespace coreio::detail {

class Injector {
public:
  /// Appends the list first..last (n tasks, linked through qnext_).
  void push_batch(TaskBase* first, TaskBase* last, std::size_t n);
  /// Pops up to `max` tasks (FIFO), linked through qnext_. Returns the count.
  std::size_t pop_batch(TaskBase*& first, std::size_t max);
  [[nodiscard]] std::size_t size() const noexcept { return size_.load(std::memory_order_seq_cst); }

private:
  std::mutex mu_;
  TaskBase* head_ = nullptr;
  TaskBase* tail_ = nullptr;
  std::atomic<std::size_t> size_{0};
};

} // namespace coreio::detail
