// ServerState: what a Server shares with its accept tasks and connections.
//
// # Lifecycle
//  1. start_*_server binds the listening sockets (Listener: an acceptor made
//     on the io_context of the loop that will accept on it) and, unless
//     start_serving is false, starts serving.
//  2. start_serving() calls listen() and moves each acceptor into an accept
//     task pinned to its loop (so the acceptor is only ever used there).
//  3. An accept task accepts into a socket made on the target loop
//     (its own loop in per_loop mode, the next loop in round_robin mode) and
//     spawns the connection's task there. It counts the connection first
//     (`active_`), so wait_closed() cannot miss it.
//  4. The connection task does the TLS handshake if any, builds the streams,
//     registers the stream (for close_clients) and runs the handler. A
//     connection is gone when its stream has closed, or when its task ended
//     without a stream (a failed handshake): a ConnectionToken shared by the
//     task and the stream's close callback counts it down once.
//  5. close() marks the server closed, shuts the listening sockets down
//     (shutdown(2) on the descriptor: new connections are refused from then
//     on, as after asyncio's close()), cancels the accept tasks (each closes
//     its acceptor on its own loop as it unwinds) and drops listeners that
//     never started. wait_closed() waits until closed, no accept task runs,
//     and no connection is left.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "coreio/detail/asio_loop.hpp"
#include "coreio/loop.hpp"
#include "coreio/net/server.hpp"
#include "coreio/runtime.hpp"
#include "coreio/sleep.hpp"
#include "coreio/task.hpp"
#include "coreio/use_task.hpp"
#include "net_log.hpp"
#include "state_waiters.hpp"
#include "stream_core.hpp"

namespace coreio::detail {

struct ServerConfig {
  ClientConnected handler = {};
  StreamOptions streams = {};
  std::optional<SSLContext> ssl = std::nullopt;
  std::chrono::nanoseconds handshake_timeout{std::chrono::seconds(60)};
  std::chrono::nanoseconds shutdown_timeout{std::chrono::seconds(30)};
  int backlog = 100;
  bool keep_alive = false;
  bool tcp = true;
  std::chrono::nanoseconds accept_retry_delay{std::chrono::seconds(1)};
  AcceptMode mode = AcceptMode::per_loop;
  /// Unix servers with cleanup_socket: the path and the inode we bound.
  std::string cleanup_path = {};
  std::uint64_t cleanup_inode = 0;
};

class ConnectionToken;

class ServerState : public std::enable_shared_from_this<ServerState> {
public:
  /// A bound socket that has not started serving (type-erased over the protocol).
  struct Listener {
    Loop* loop = nullptr;
    Address sockname;
    /// The listening socket's descriptor: close() shuts it down at once from
    /// any thread (the acceptor object itself is closed on its loop).
    int fd = -1;
    /// listen() and start the accept task; consumes the acceptor.
    std::function<TaskHandle(const std::shared_ptr<ServerState>&)> start;
    TaskHandle task;
    bool started = false;
  };

  ServerState(ServerConfig config, Loop& home);

  void add_listener(Listener l);
  [[nodiscard]] Server make_handle();

  // Server's members
  void close();
  void close_clients(bool abort);
  void wait_closed();
  void serve_forever();
  void start_serving();
  [[nodiscard]] bool is_serving() const;
  [[nodiscard]] std::vector<Address> sockets() const;
  [[nodiscard]] Loop& home() const noexcept { return *home_; }

  // accept tasks
  [[nodiscard]] const ServerConfig& config() const noexcept { return config_; }
  [[nodiscard]] Loop& target_loop(Loop& accepting);
  void accept_task_ended();
  /// Step 3: counts the connection and spawns its task on `target`.
  template <class Socket>
  void spawn_connection(Socket sock, Loop& target);
  [[nodiscard]] bool closed() const {
    std::lock_guard g(mu_);
    return closed_;
  }
  /// Back-off policy of the accept loop; true if the loop should go on.
  bool on_accept_error(const boost::system::error_code& ec, Loop& loop);

  // connections
  void connection_gone(std::uint64_t id);

private:
  template <class Socket>
  void run_connection(Socket sock, std::uint64_t id, std::shared_ptr<ConnectionToken> token);
  void remember(std::uint64_t id, const std::shared_ptr<StreamCore>& core);
  void cleanup_socket_file() noexcept;

  ServerConfig config_;
  Loop* home_;
  Runtime* runtime_;
  std::atomic<std::size_t> rr_{0};

  mutable std::mutex mu_;
  std::vector<Listener> listeners_;
  std::unordered_map<std::uint64_t, std::weak_ptr<StreamCore>> conns_;
  std::uint64_t next_id_ = 1;
  std::size_t active_ = 0;
  std::size_t accept_tasks_ = 0;
  bool serving_ = false;
  bool closed_ = false;
  bool serve_forever_running_ = false;
  StateWaiters waiters_;
};

/// Counts one connection down exactly once (step 4), whoever drops it last.
class ConnectionToken {
public:
  ConnectionToken(std::shared_ptr<ServerState> s, std::uint64_t id) : s_(std::move(s)), id_(id) {}
  ConnectionToken(const ConnectionToken&) = delete;
  ConnectionToken& operator=(const ConnectionToken&) = delete;
  ~ConnectionToken() { s_->connection_gone(id_); }

private:
  std::shared_ptr<ServerState> s_;
  std::uint64_t id_;
};

/// Handle held by Server objects: closes the server when the last one goes.
struct ServerHandle {
  std::shared_ptr<ServerState> state;
  explicit ServerHandle(std::shared_ptr<ServerState> s) : state(std::move(s)) {}
  ServerHandle(const ServerHandle&) = delete;
  ServerHandle& operator=(const ServerHandle&) = delete;
  ~ServerHandle() { state->close(); }
};

/// Step 3: the accept task's body, for any Asio acceptor type.
template <class Acceptor>
void accept_loop(std::shared_ptr<ServerState> st, std::unique_ptr<Acceptor> acceptor) {
  Loop& loop = get_running_loop(); // pinned: never changes
  for (;;) {
    Loop& target = st->target_loop(loop);
    auto [ec, sock] = acceptor->async_accept(io_context_of(target), use_task_ec);
    if (!ec) {
      // A socket of the target loop's io_context (TcpSocket / UnixSocket).
      st->spawn_connection(std::move(sock), target);
      continue;
    }
    if (!st->on_accept_error(ec, loop)) return;
  }
}

template <class Socket>
void ServerState::spawn_connection(Socket sock, Loop& target) {
  std::uint64_t id = 0;
  {
    std::lock_guard g(mu_);
    id = next_id_++;
    ++active_;
  }
  // The token travels in the task's function: if the task is cancelled
  // before it first runs, the function is destroyed unrun and the count
  // still goes down.
  auto token = std::make_shared<ConnectionToken>(shared_from_this(), id);
  create_task([st = shared_from_this(), sock = std::move(sock), id, token = std::move(token)]() mutable {
    st->run_connection(std::move(sock), id, std::move(token));
  }, {.name = "client-connection", .loop = &target});
}

template <class Socket>
void ServerState::run_connection(Socket sock, std::uint64_t id, std::shared_ptr<ConnectionToken> token) {
  boost::system::error_code ec;
  if constexpr (std::is_same_v<Socket, TcpSocket>) {
    sock.set_option(boost::asio::ip::tcp::no_delay(true), ec); // as asyncio does
    if (config_.keep_alive) sock.set_option(boost::asio::socket_base::keep_alive(true), ec);
  }
  std::unique_ptr<StreamTransport> transport;
  if (config_.ssl) {
    try {
      transport = make_tls_transport(std::move(sock),
                                     TlsUpgrade{.context = config_.ssl->shared_native(),
                                                .server_side = true,
                                                .handshake_timeout = config_.handshake_timeout,
                                                .shutdown_timeout = config_.shutdown_timeout});
    } catch (const std::exception& e) {
      // asyncio logs a failed server-side handshake and drops the connection.
      net_log().info("SSL handshake failed on an accepted connection: {}", e.what());
      return;
    }
  } else {
    transport = std::make_unique<AsioStreamTransport<Socket>>(std::move(sock));
  }
  MadeStreams made = make_stream_objects(std::move(transport), config_.streams, true, config_.ssl);
  made.core->on_close([token] {});
  remember(id, made.core);
  // `token` stays with this task too: the connection counts until the
  // handler has returned and the stream has closed.
  try {
    config_.handler(made.reader, made.writer);
  } catch (const CancelledError&) {
    made.writer.close(); // asyncio 3.13: a cancelled handler closes silently
    throw;
  } catch (...) {
    get_running_loop().call_exception_handler(
        {.message = "Unhandled exception in client_connected_cb", .exception = std::current_exception()});
    made.writer.close();
  }
}

/// Listener over an acceptor bound on `loop`'s io_context (listen() happens at start).
template <class Acceptor>
ServerState::Listener make_listener(Loop& loop, std::unique_ptr<Acceptor> acceptor, int backlog) {
  ServerState::Listener l;
  l.loop = &loop;
  l.sockname = to_address(acceptor->local_endpoint());
  l.fd = static_cast<int>(acceptor->native_handle());
  auto shared = std::make_shared<std::unique_ptr<Acceptor>>(std::move(acceptor));
  l.start = [shared, backlog, &loop](const std::shared_ptr<ServerState>& st) -> TaskHandle {
    boost::system::error_code ec;
    (*shared)->listen(backlog, ec);
    if (ec) throw_os_error(ec, "listen");
    auto task = loop.create_task([st, acc = std::move(*shared)]() mutable { accept_loop(st, std::move(acc)); },
                                 {.name = "server-accept-" + std::to_string(loop.index())});
    // A done callback, not a guard in the body: a task cancelled before it
    // first runs never starts its body.
    task.add_done_callback([st](Future<void>&) { st->accept_task_ended(); });
    return task.handle();
  };
  return l;
}

} // namespace coreio::detail
