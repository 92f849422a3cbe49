// ReadyQueue (ready_queue.hpp): the cold paths: overflow to the injector,
// stealing, teardown. The hot ones are inline in the header.
#include "sched/ready_queue.hpp"

#include <utility>

namespace coreio::detail {

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
  injector_.push_batch(first, last, n + 1);
  idle_.notify_if_no_searchers();
}

std::size_t ReadyQueue::steal_into(ReadyQueue& thief) noexcept { return local_.steal_into(thief.local_); }

void ReadyQueue::drop_callbacks() noexcept {
  while (QueueLink* n = fifo_pop())
    if (n->kind_ != QueueLink::Kind::task) static_cast<HandleState*>(n)->release();
}

} // namespace coreio::detail
