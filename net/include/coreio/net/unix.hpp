// open_unix_connection / start_unix_server: asyncio's streams over Unix
// domain sockets (same semantics as open_connection / start_server).
//
// A Unix server has one listening socket (a path cannot be shared with
// SO_REUSEPORT); its loop accepts and hands the connections round-robin to
// every loop (AcceptMode::round_robin). A socket file left by an earlier run
// is removed before binding (as asyncio does for a path that is a socket),
// and with cleanup_socket (asyncio 3.13, default true) close() removes the
// socket file, if it is still the one this server created.
//
// Thread safety, resumption, cancellation: as open_connection / Server.
// Throws: OSError (FileNotFoundError-like ENOENT, ConnectionRefusedError,
// EADDRINUSE...), CancelledError.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "coreio/net/server.hpp"
#include "coreio/net/streams.hpp"
#include "coreio/net/tls.hpp"

namespace coreio {

/// asyncio.open_unix_connection's keyword arguments.
struct OpenUnixConnectionOptions {
  std::size_t limit = 64 * 1024;
  std::optional<SSLContext> ssl = std::nullopt;
  /// Required with ssl when the context checks host names.
  std::optional<std::string> server_hostname = std::nullopt;
  std::optional<std::chrono::nanoseconds> ssl_handshake_timeout = std::nullopt;
  std::optional<std::chrono::nanoseconds> ssl_shutdown_timeout = std::nullopt;
};

/// asyncio.start_unix_server's keyword arguments.
struct UnixServerOptions {
  std::size_t limit = 64 * 1024;
  int backlog = 100;
  std::optional<SSLContext> ssl = std::nullopt;
  std::optional<std::chrono::nanoseconds> ssl_handshake_timeout = std::nullopt;
  std::optional<std::chrono::nanoseconds> ssl_shutdown_timeout = std::nullopt;
  bool start_serving = true;
  /// Remove the socket file on close() (asyncio 3.13).
  bool cleanup_socket = true;
  std::chrono::nanoseconds accept_retry_delay = std::chrono::seconds(1);
};

/// asyncio.open_unix_connection(path, ...) -> (reader, writer).
[[nodiscard]] std::pair<StreamReader, StreamWriter> open_unix_connection(const std::string& path,
                                                                         OpenUnixConnectionOptions opts = {});

namespace detail {
Server start_unix_server(ClientConnected handler, const std::string& path, UnixServerOptions opts);
} // namespace detail

/// asyncio.start_unix_server(client_connected_cb, path, ...).
template <class F>
  requires std::invocable<const std::decay_t<F>&, StreamReader&, StreamWriter&>
Server start_unix_server(F&& handler, const std::string& path, UnixServerOptions opts = {}) {
  return detail::start_unix_server(ClientConnected(std::forward<F>(handler)), path, std::move(opts));
}

} // namespace coreio
