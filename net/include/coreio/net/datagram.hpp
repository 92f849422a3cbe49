// create_datagram_endpoint / DatagramTransport: UDP (asyncio's
// loop.create_datagram_endpoint), with sends and receives that suspend the
// calling task instead of protocol callbacks:
//
//     auto ep = coreio::create_datagram_endpoint({.local_addr = coreio::Address{AF_INET, "127.0.0.1", 0}});
//     auto [data, from] = ep.recvfrom();
//     ep.sendto(data, from);
//
// The socket is made on the caller's loop. A `remote_addr` connects it
// (sendto() then takes no address, and only that peer's datagrams arrive).
//
// Thread safety: a DatagramTransport is a shared handle; one task may
// receive while another sends. Two tasks receiving at once is an error
// (RuntimeError), as is two sending at once.
// Resumes on: the socket's loop (unless the task is pinned elsewhere).
// Cancellation: a cancelled recvfrom()/sendto() raises CancelledError; the
// datagram being received is dropped (UDP may drop datagrams anyway).
// Throws: OSError (ConnectionRefusedError on a connected socket whose peer
// has no listener, ...), ValueError for an address that contradicts
// remote_addr, CancelledError.
#pragma once

#include <sys/socket.h>

#include <any>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "coreio/net/address.hpp"

namespace coreio {

/// create_datagram_endpoint's keyword arguments.
struct DatagramOptions {
  /// Bind here (port 0: any free port). IP literals or host names.
  std::optional<Address> local_addr = std::nullopt;
  /// Connect to this peer.
  std::optional<Address> remote_addr = std::nullopt;
  /// AF_INET or AF_INET6 when neither address says (default AF_INET).
  int family = AF_UNSPEC;
  /// SO_REUSEPORT.
  bool reuse_port = false;
  /// SO_BROADCAST.
  bool allow_broadcast = false;
};

namespace detail {
class DatagramState;
}

class DatagramTransport {
public:
  DatagramTransport() = default;

  /// Sends one datagram (to `addr`, or to remote_addr when connected).
  void sendto(std::string_view data, std::optional<Address> addr = std::nullopt);
  /// Receives one datagram of at most `max_size` bytes (a longer one is
  /// truncated) and its sender.
  [[nodiscard]] std::pair<std::string, Address> recvfrom(std::size_t max_size = 65536);

  /// Closes the socket; a pending recvfrom()/sendto() raises OSError
  /// (operation aborted). Idempotent.
  void close();
  /// Same as close() (a datagram socket has nothing to flush).
  void abort();
  [[nodiscard]] bool is_closing() const;
  /// "sockname", "peername" (Address), "socket" (int fd).
  [[nodiscard]] std::any get_extra_info(std::string_view name, std::any default_value = {}) const;

  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(state_); }

private:
  friend DatagramTransport create_datagram_endpoint(DatagramOptions opts);
  explicit DatagramTransport(std::shared_ptr<detail::DatagramState> s) : state_(std::move(s)) {}
  std::shared_ptr<detail::DatagramState> state_;
};

/// loop.create_datagram_endpoint(local_addr=, remote_addr=, ...). Throws
/// ValueError if neither address nor family is given in a way that decides
/// the family, OSError if binding or connecting fails.
[[nodiscard]] DatagramTransport create_datagram_endpoint(DatagramOptions opts = {});

} // namespace coreio
