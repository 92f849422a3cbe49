// Inbox: a loop's MPSC queue for work arriving from other threads
// (call_soon_threadsafe, wake-ups of pinned tasks, timers set from elsewhere).
//
// Producers push onto an intrusive Treiber stack with one CAS; the loop takes
// the whole stack with one exchange and reverses it, which restores FIFO order
// per producer (and overall arrival order by CAS order). No allocation, no lock.
#pragma once

#include <atomic>

#include "coreio/detail/queue_link.hpp"

namespace coreio::detail {

class Inbox {
public:
  /// Any thread. Returns true if the inbox was empty before the push.
  bool push(QueueLink* n) noexcept {
    QueueLink* h = head_.load(std::memory_order_relaxed);
    do {
      n->qnext_ = h;
      // SeqCst on success: this store and the loop's later load of its
      // `parked_` flag form a Dekker pair with the loop's store of `parked_`
      // and its load here in LoopImpl::park(). Acquire/Release cannot forbid
      // both sides reading the old value (store-load reordering), which would
      // leave the item in a parked loop's inbox with nobody to wake it.
    } while (!head_.compare_exchange_weak(h, n, std::memory_order_seq_cst, std::memory_order_relaxed));
    return h == nullptr;
  }

  /// Loop thread only: everything pushed so far, oldest first.
  QueueLink* take_all() noexcept {
    // Acquire: pairs with the push CAS; the items' contents are visible.
    QueueLink* n = head_.exchange(nullptr, std::memory_order_acquire);
    QueueLink* fifo = nullptr;
    while (n) {
      QueueLink* next = n->qnext_;
      n->qnext_ = fifo;
      fifo = n;
      n = next;
    }
    return fifo;
  }

  /// SeqCst: the park side of the Dekker pair described in push().
  [[nodiscard]] bool empty_seq_cst() const noexcept { return head_.load(std::memory_order_seq_cst) == nullptr; }
  [[nodiscard]] bool empty() const noexcept { return head_.load(std::memory_order_relaxed) == nullptr; }

private:
  std::atomic<QueueLink*> head_{nullptr};
};

} // namespace coreio::detail
