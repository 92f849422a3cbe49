// Queue: the non-template error paths shared by every Queue<T>.
#include "coreio/sync/queue.hpp"

#include "coreio/exceptions.hpp"

namespace coreio::detail {

void throw_queue_status(QueueStatus status) {
  switch (status) {
  case QueueStatus::empty: throw QueueEmpty();
  case QueueStatus::full: throw QueueFull();
  case QueueStatus::shut_down: throw QueueShutDown();
  case QueueStatus::ok: break;
  }
  throw RuntimeError("coreio::Queue: no error to raise for QueueStatus::ok");
}

void throw_task_done_too_often() {
  // asyncio's message, word for word.
  throw ValueError("task_done() called too many times");
}

} // namespace coreio::detail
