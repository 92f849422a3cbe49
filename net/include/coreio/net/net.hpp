// The umbrella header of coreio::net: asyncio's streams, servers, UDP, Unix
// sockets, TLS, DNS and signals on coreio loops (docs/api/net.md).
// coreio::use_task, the Asio completion token, is in core: coreio/use_task.hpp.
#pragma once

#include "coreio/net/address.hpp"
#include "coreio/net/connection.hpp"
#include "coreio/net/datagram.hpp"
#include "coreio/net/dns.hpp"
#include "coreio/net/exceptions.hpp"
#include "coreio/net/process_group.hpp"
#include "coreio/net/server.hpp"
#include "coreio/net/signals.hpp"
#include "coreio/net/streams.hpp"
#include "coreio/net/tls.hpp"
#include "coreio/net/unix.hpp"
#include "coreio/use_task.hpp"
