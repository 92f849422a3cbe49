// ChannelStatus: the outcome of a channel's non-waiting operation (try_send,
// try_recv) in oneshot.hpp, mpsc.hpp, broadcast.hpp and watch.hpp.
//
// Beyond asyncio. Like QueueStatus for the queues, the try_* forms report an
// expected outcome (empty, full, closed, lagged) as a value and never throw
// for it (STYLE.md 13); throw_channel_status() turns a status into the
// matching exception of exceptions.hpp for the throwing forms.
#pragma once

#include <cstdint>

namespace coreio {

/// Outcome of a channel's try_send / try_recv.
enum class ChannelStatus : std::uint8_t {
  ok, ///< done
  empty, ///< try_recv: nothing to receive yet (ChannelEmpty)
  full, ///< try_send: a bounded channel has no free slot (ChannelFull)
  closed, ///< the other side is gone or the channel was closed (ChannelClosed)
  lagged, ///< broadcast try_recv: values were overwritten before being read (Lagged)
};

namespace detail {
/// Throws ChannelEmpty, ChannelFull or ChannelClosed for a failed status
/// (`lagged` carries a count: broadcast throws Lagged itself).
[[noreturn]] void throw_channel_status(ChannelStatus status);
} // namespace detail

} // namespace coreio
