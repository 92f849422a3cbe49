// The exceptions of coreio's sync module: asyncio's QueueEmpty, QueueFull,
// QueueShutDown and BrokenBarrierError, name for name (API.md "Exceptions"),
// and, beyond asyncio, the channels' ChannelClosed, ChannelEmpty, ChannelFull
// and Lagged (oneshot.hpp, mpsc.hpp, broadcast.hpp, watch.hpp).
//
// They sit in the hierarchy core/include/coreio/exceptions.hpp starts:
// every one is a std::exception (Python: an Exception), so a generic
// `catch (const std::exception&)` sees them, while CancelledError stays
// outside it. The *_nowait forms throw them (asyncio's contract); the try_*
// forms report the same outcomes as a QueueStatus (or ChannelStatus) instead
// (STYLE.md 13).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

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

/// Beyond asyncio: a channel operation on a closed channel (its other side
/// is gone or it was closed): oneshot recv() whose sender was dropped without
/// sending; watch changed() whose sender is gone; the throwing forms of the
/// channels' sends and receives.
class ChannelClosed : public std::runtime_error {
public:
  ChannelClosed() : std::runtime_error("channel closed") {}
  using std::runtime_error::runtime_error;
};

/// Beyond asyncio: a non-waiting receive found no value (ChannelStatus::empty
/// in the try_* forms).
class ChannelEmpty : public std::runtime_error {
public:
  ChannelEmpty() : std::runtime_error("channel is empty") {}
  using std::runtime_error::runtime_error;
};

/// Beyond asyncio: a non-waiting send found a bounded channel full
/// (ChannelStatus::full in the try_* forms).
class ChannelFull : public std::runtime_error {
public:
  ChannelFull() : std::runtime_error("channel is full") {}
  using std::runtime_error::runtime_error;
};

/// Beyond asyncio: a broadcast receiver fell more than the channel's capacity
/// behind; missed() values were overwritten before it read them (Tokio's
/// RecvError::Lagged(n)). The receiver has moved on to the oldest value still
/// retained, so its next receive continues from there.
class Lagged : public std::runtime_error {
public:
  explicit Lagged(std::uint64_t missed)
      : std::runtime_error("broadcast receiver lagged by " + std::to_string(missed) + " values"), missed_(missed) {}
  /// How many values this receiver will never see.
  [[nodiscard]] std::uint64_t missed() const noexcept { return missed_; }

private:
  std::uint64_t missed_;
};

} // namespace coreio
