// getaddrinfo: asyncio's loop.getaddrinfo, resolving without blocking the loop.
//
//     for (const coreio::AddrInfo& ai : coreio::getaddrinfo("example.com", "https"))
//       use(ai.address);                       // {family, host, port}
//
// The lookup runs through Boost.Asio's resolver (getaddrinfo on the
// resolver's own thread), and the calling task suspends meanwhile.
//
// Thread safety: any task, any loop. Resumes on: the loop whose resolver
// completed the lookup (the caller's loop at the time of the call).
// Cancellation: cancelling the task raises CancelledError at once; a lookup
// already running in getaddrinfo() finishes in the background and its result
// is dropped.
// Throws: GaiError (an OSError) for an unknown host or service or a DNS
// failure, CancelledError; RuntimeError outside a task.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coreio/net/address.hpp"

namespace coreio {

/// One result: Python's (family, type, proto, canonname, sockaddr) tuple.
struct AddrInfo {
  int family = 0;
  int type = 0;
  int proto = 0;
  /// Set for the first result when flags include AI_CANONNAME.
  std::string canonname = {};
  Address address = {};
};

/// getaddrinfo's hints (Python's keyword arguments).
struct GetAddrInfoOptions {
  /// AF_UNSPEC, AF_INET or AF_INET6.
  int family = AF_UNSPEC;
  /// SOCK_DGRAM resolves for UDP; anything else (0, SOCK_STREAM) for TCP.
  int type = 0;
  int proto = 0;
  /// AI_* flags (AI_PASSIVE, AI_CANONNAME, AI_NUMERICHOST, AI_ADDRCONFIG, ...).
  int flags = 0;
};

/// Resolves host and service (a port number or a name like "https"). An empty
/// host means the loopback address, or the wildcard address with AI_PASSIVE.
[[nodiscard]] std::vector<AddrInfo> getaddrinfo(std::string_view host, std::string_view port,
                                                GetAddrInfoOptions opts = {});
[[nodiscard]] std::vector<AddrInfo> getaddrinfo(std::string_view host, std::uint16_t port,
                                                GetAddrInfoOptions opts = {});

} // namespace coreio
