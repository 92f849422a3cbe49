// The exceptions of coreio's sync module: asyncio's QueueEmpty, QueueFull,
// QueueShutDown and BrokenBarrierError, name for name (API.md "Exceptions").
//
// They sit in the hierarchy core/include/coreio/exceptions.hpp starts:
// every one is a std::exception (Python: an Exception), so a generic
// `catch (const std::exception&)` sees them, while CancelledError stays
// outside it. The *_nowait forms throw them (asyncio's contract); the try_*
// forms report the same outcomes as a QueueStatus instead (STYLE.md 13).
#pragma once

#include <stdexcept>

#include "coreio/exceptions.hpp"

namespace coreio {

/// Queue::get_nowait() on a queue with no item to take.
class QueueEmpty : public std::runtime_error {
public:
  QueueEmpty() : std::runtime_error("queue is empty") {}
  using std::runtime_error::runtime_error;
};

/// Queue::put_nowait() on a queue with no free slot.
class QueueFull : public std::runtime_error {
public:
  QueueFull() : std::runtime_error("queue is full") {}
  using std::runtime_error::runtime_error;
};

/// put on a queue that was shut down, or get on one that was shut down and is
/// empty (or shut down with immediate = true). Python 3.13.
class QueueShutDown : public std::runtime_error {
public:
  QueueShutDown() : std::runtime_error("queue is shut down") {}
  using std::runtime_error::runtime_error;
};

/// Barrier::wait() on a barrier that is aborted, or that was reset or aborted
/// while the caller waited in it. asyncio derives it from RuntimeError.
class BrokenBarrierError : public RuntimeError {
public:
  using RuntimeError::RuntimeError;
};

} // namespace coreio
