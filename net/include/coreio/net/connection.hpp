// open_connection: asyncio.open_connection (create_connection + streams).
//
//     auto [reader, writer] = coreio::open_connection("example.com", 443,
//         {.ssl = coreio::create_default_context(), .happy_eyeballs_delay = 250ms});
//
// The host is resolved with getaddrinfo (an IP literal skips the lookup).
// Without happy_eyeballs_delay the addresses are tried one after another.
// With it (RFC 8305, asyncio 3.8+), the attempts are a staggered race: the
// next address is tried when the delay passes or as soon as the previous
// attempt fails, the first connection to succeed wins, and the other attempts
// are cancelled and their sockets closed. Addresses are interleaved by family
// (`interleave`, 1 by default when a delay is set).
// The socket is made on the caller's loop (its io_context drives the stream),
// with TCP_NODELAY set, as asyncio does for every TCP transport.
//
// Thread safety: any task, any loop.
// Resumes on: the caller's loop at the time of the call (unless it was stolen
// meanwhile). Cancellation: cancels every attempt in flight, closes their
// sockets, and raises CancelledError.
// Throws: GaiError for an unknown host; ConnectionRefusedError or another
// OSError when every attempt failed (one error, or OSError("Multiple
// exceptions: ...") when they differ; an ExceptionGroup of all of them with
// all_errors); TimeoutError or SSLError from the TLS handshake; CancelledError.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/ip/tcp.hpp>

#include "coreio/net/address.hpp"
#include "coreio/net/detail/stream_transport.hpp"
#include "coreio/net/streams.hpp"
#include "coreio/net/tls.hpp"

namespace coreio {

/// asyncio.open_connection's keyword arguments.
struct OpenConnectionOptions {
  /// The reader's limit (asyncio's limit=, 2**16).
  std::size_t limit = 64 * 1024;
  /// TLS: the client context (create_default_context() for the usual checks).
  std::optional<SSLContext> ssl = std::nullopt;
  /// SNI and certificate host name; defaults to `host` when ssl is set.
  std::optional<std::string> server_hostname = std::nullopt;
  /// Default 60 s. TimeoutError when the handshake takes longer.
  std::optional<std::chrono::nanoseconds> ssl_handshake_timeout = std::nullopt;
  /// Default 30 s: how long close() waits for the server's close_notify.
  std::optional<std::chrono::nanoseconds> ssl_shutdown_timeout = std::nullopt;
  /// AF_UNSPEC (default), AF_INET or AF_INET6.
  int family = AF_UNSPEC;
  /// Bind the socket to this local address before connecting.
  std::optional<Address> local_addr = std::nullopt;
  /// Happy Eyeballs: start the next attempt after this delay (RFC 8305
  /// recommends 250 ms). Unset: one attempt at a time.
  std::optional<std::chrono::nanoseconds> happy_eyeballs_delay = std::nullopt;
  /// Addresses of the first family tried before alternating (default 1 with a delay).
  std::optional<int> interleave = std::nullopt;
  /// Raise an ExceptionGroup of every attempt's error (asyncio 3.12's all_errors).
  bool all_errors = false;
};

/// asyncio.open_connection(host, port, ...) -> (reader, writer).
[[nodiscard]] std::pair<StreamReader, StreamWriter> open_connection(std::string_view host, std::uint16_t port,
                                                                    OpenConnectionOptions opts = {});

namespace detail {

/// The connect step of open_connection, exposed for tests: connects a TCP
/// socket on the caller's loop to one of `endpoints` (in order, or as a
/// staggered race with `delay`), binding to `local` first if given.
TcpSocket connect_tcp(std::span<const boost::asio::ip::tcp::endpoint> endpoints,
                                         std::optional<std::chrono::nanoseconds> delay,
                                         const std::optional<boost::asio::ip::tcp::endpoint>& local, bool all_errors);

} // namespace detail
} // namespace coreio
