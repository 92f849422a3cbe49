// Address: a socket address as asyncio shows it: Python's (host, port) tuple
// for IPv4/IPv6, or the path of a Unix socket.
//
// Returned by StreamWriter::get_extra_info("peername" | "sockname"),
// Server::sockets(), getaddrinfo() and DatagramTransport::recvfrom(); accepted
// wherever a local or remote address is given.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace coreio {

struct Address {
  /// AF_INET, AF_INET6 or AF_UNIX (0 = unspecified).
  int family = 0;
  /// A numeric IP address (IPv6 without brackets), or the socket path for AF_UNIX.
  std::string host = {};
  /// The port (0 for AF_UNIX, or "any free port" when binding).
  std::uint16_t port = 0;

  /// "127.0.0.1:8080", "[::1]:443", or the Unix socket path.
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const Address&, const Address&) = default;
};

} // namespace coreio
