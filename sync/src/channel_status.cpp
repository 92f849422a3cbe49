// ChannelStatus: the non-template error path every channel shares.
#include "coreio/sync/channel_status.hpp"

#include "coreio/exceptions.hpp"
#include "coreio/sync/exceptions.hpp"

namespace coreio::detail {

void throw_channel_status(ChannelStatus status) {
  switch (status) {
  case ChannelStatus::empty: throw ChannelEmpty();
  case ChannelStatus::full: throw ChannelFull();
  case ChannelStatus::closed: throw ChannelClosed();
  case ChannelStatus::lagged: throw Lagged(0);
  case ChannelStatus::ok: break;
  }
  throw RuntimeError("coreio: no channel error to raise for ChannelStatus::ok");
}

} // namespace coreio::detail
