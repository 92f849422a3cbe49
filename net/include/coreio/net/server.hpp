// start_server / Server: asyncio.start_server and asyncio.Server.
//
//     auto server = coreio::start_server(
//         [](coreio::StreamReader& reader, coreio::StreamWriter& writer) {
//           while (auto data = reader.read(4096); !data.empty()) {
//             writer.write(data);
//             writer.drain();
//           }
//         },
//         "127.0.0.1", 8888);
//     server.serve_forever();
//
// Each accepted connection is handled by its own task, which runs the
// handler with the connection's reader and writer. The connections of one
// server are spread over all loops (AcceptMode):
//  - per_loop (default): every loop has its own listening socket on the
//    address (SO_REUSEPORT); the kernel spreads new connections over them and
//    each connection's socket and task start on the loop that accepted it,
//    so accepting scales with the loops and costs no cross-thread hand-off.
//  - round_robin: one listening socket; its loop accepts every connection and
//    hands each new socket to the next loop in turn (an exact spread, and the
//    only mode for Unix sockets, which cannot share a path).
// With stealing off a connection never leaves its loop; with stealing on its
// task may migrate, and the socket's IO still completes on the socket's loop.
// The echo figures behind the default are in docs/api/net.md.
//
// A handler that throws is reported through the loop's exception handler
// ("Unhandled exception in client_connected_cb") and its connection closed;
// the server keeps serving. A cancelled handler closes its connection
// silently. When the handler returns, the connection closes once the last
// copy of its reader and writer is gone (keep a copy to keep it open).
//
// The accept loop never spins and never dies: when accept() fails for lack
// of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM) it reports "socket.accept()
// out of system resource" through the exception handler and retries after
// accept_retry_delay (asyncio's 1 s); connections that died in the backlog
// (ECONNABORTED) are skipped.
//
// Thread safety: a Server is a shared handle; every member may be called from
// any task. Dropping the last handle closes the server (stops listening).
// Resumes on: wait_closed()/serve_forever() wake on the loop that saw the last
// connection close, and continue where the scheduler queues them.
// Cancellation: a cancelled serve_forever() closes the server, waits for
// wait_closed(), and raises CancelledError; a cancelled wait_closed() only
// stops waiting.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coreio/loop.hpp"
#include "coreio/net/address.hpp"
#include "coreio/net/streams.hpp"
#include "coreio/net/tls.hpp"

namespace coreio {

/// How one listening address is spread over the loops (see the file comment).
enum class AcceptMode {
  per_loop,
  round_robin,
};

/// asyncio.start_server's keyword arguments.
struct ServerOptions {
  /// The readers' limit (asyncio's limit=, 2**16).
  std::size_t limit = 64 * 1024;
  /// AF_UNSPEC (default: every family the host resolves to), AF_INET, AF_INET6.
  int family = AF_UNSPEC;
  /// listen() backlog (asyncio's 100).
  int backlog = 100;
  /// TLS: the server context (certificate chain loaded).
  std::optional<SSLContext> ssl = std::nullopt;
  /// Default 60 s: a client that does not finish its handshake is dropped.
  std::optional<std::chrono::nanoseconds> ssl_handshake_timeout = std::nullopt;
  /// Default 30 s.
  std::optional<std::chrono::nanoseconds> ssl_shutdown_timeout = std::nullopt;
  /// SO_REUSEADDR (asyncio: true on POSIX).
  bool reuse_address = true;
  /// SO_REUSEPORT, so other sockets may bind the same address. per_loop mode
  /// sets it on its own sockets regardless (any process of the same user may
  /// then join the port, as with asyncio's reuse_port=True).
  bool reuse_port = false;
  /// SO_KEEPALIVE on accepted sockets (asyncio 3.13's keep_alive).
  bool keep_alive = false;
  /// Start accepting at once (else start_serving() or serve_forever()).
  bool start_serving = true;
  AcceptMode accept_mode = AcceptMode::per_loop;
  /// Back-off after accept() runs out of resources (asyncio's ACCEPT_RETRY_DELAY).
  std::chrono::nanoseconds accept_retry_delay = std::chrono::seconds(1);
};

/// The client_connected_cb: runs in its own task for each connection.
using ClientConnected = std::function<void(StreamReader&, StreamWriter&)>;

namespace detail {
class ServerState;
struct ServerHandle;
} // namespace detail

class Server {
public:
  Server() = default;

  /// Stops listening (the listening sockets close); connections stay open.
  void close();
  /// Closes every connection (flushing what they queued) - asyncio 3.13.
  void close_clients();
  /// Aborts every connection (dropping what they queued) - asyncio 3.13.
  void abort_clients();
  /// Waits until the server is closed and all its connections are gone.
  void wait_closed();
  /// Starts serving if needed and waits until the server is closed (by
  /// close() elsewhere: then it returns after wait_closed()). Throws
  /// RuntimeError if already running or closed; CancelledError as above.
  /// (asyncio raises CancelledError when close() ends serve_forever; coreio
  /// returns normally instead, so a plain `server.serve_forever();` can end.)
  void serve_forever();
  /// Starts accepting (idempotent). RuntimeError on a closed server.
  void start_serving();
  [[nodiscard]] bool is_serving() const;
  /// The listening addresses (one per listening socket: per_loop mode lists
  /// the same address once per loop).
  [[nodiscard]] std::vector<Address> sockets() const;
  /// The loop start_server() was called on.
  [[nodiscard]] Loop& get_loop() const;

  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

private:
  friend class detail::ServerState;
  explicit Server(std::shared_ptr<detail::ServerHandle> h) : handle_(std::move(h)) {}
  [[nodiscard]] detail::ServerState& state() const;

  std::shared_ptr<detail::ServerHandle> handle_;
};

namespace detail {
Server start_tcp_server(ClientConnected handler, std::string_view host, std::uint16_t port, ServerOptions opts);
} // namespace detail

/// asyncio.start_server(client_connected_cb, host, port, ...). An empty host
/// listens on every interface (asyncio's host=None); port 0 picks a free port.
/// Throws OSError if the address cannot be bound, GaiError for an unknown host.
template <class F>
  requires std::invocable<const std::decay_t<F>&, StreamReader&, StreamWriter&>
Server start_server(F&& handler, std::string_view host, std::uint16_t port, ServerOptions opts = {}) {
  return detail::start_tcp_server(ClientConnected(std::forward<F>(handler)), host, port, std::move(opts));
}

} // namespace coreio
