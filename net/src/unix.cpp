// Unix domain socket streams: open_unix_connection and start_unix_server.
#include "coreio/net/unix.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "server_state.hpp"

namespace coreio {

namespace {
using local = boost::asio::local::stream_protocol;
}

std::pair<StreamReader, StreamWriter> open_unix_connection(const std::string& path, OpenUnixConnectionOptions opts) {
  detail::UnixSocket s(detail::io_context_of(get_running_loop()));
  auto [ec] = s.async_connect(local::endpoint(path), use_task_ec);
  if (ec) detail::throw_os_error(ec, "connect to " + path);
  std::unique_ptr<detail::StreamTransport> transport;
  if (opts.ssl) {
    transport = detail::make_tls_transport(
        std::move(s), detail::TlsUpgrade{.context = opts.ssl->shared_native(),
                                         .server_side = false,
                                         .server_hostname = opts.server_hostname.value_or(std::string()),
                                         .check_hostname = opts.ssl->check_hostname(),
                                         .handshake_timeout = opts.ssl_handshake_timeout.value_or(std::chrono::seconds(60)),
                                         .shutdown_timeout = opts.ssl_shutdown_timeout.value_or(std::chrono::seconds(30))});
  } else {
    transport = std::make_unique<detail::AsioStreamTransport<detail::UnixSocket>>(std::move(s));
  }
  auto made = detail::make_stream_objects(std::move(transport), {.limit = opts.limit}, false, opts.ssl);
  return {std::move(made.reader), std::move(made.writer)};
}

namespace detail {

Server start_unix_server(ClientConnected handler, const std::string& path, UnixServerOptions opts) {
  Loop& home = get_running_loop();
  if (opts.limit == 0) throw ValueError("Limit cannot be <= 0");
  if (path.empty()) throw ValueError("start_unix_server: empty path (abstract sockets start with '\\0')");
  // asyncio: a socket file left behind by an earlier server is removed first.
  struct stat st {};
  if (path[0] != '\0' && ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
  auto acc = std::make_unique<local::acceptor>(io_context_of(home));
  boost::system::error_code ec;
  acc->open(local(), ec);
  if (ec) throw_os_error(ec, "socket()");
  acc->bind(local::endpoint(path), ec);
  if (ec) throw_os_error(ec, "error while attempting to bind on address " + path);
  ServerConfig config{.handler = std::move(handler),
                      .streams = {.limit = opts.limit},
                      .ssl = opts.ssl,
                      .handshake_timeout = opts.ssl_handshake_timeout.value_or(std::chrono::seconds(60)),
                      .shutdown_timeout = opts.ssl_shutdown_timeout.value_or(std::chrono::seconds(30)),
                      .backlog = opts.backlog,
                      .keep_alive = false,
                      .tcp = false,
                      .accept_retry_delay = opts.accept_retry_delay,
                      .mode = AcceptMode::round_robin};
  if (opts.cleanup_socket && path[0] != '\0' && ::stat(path.c_str(), &st) == 0) {
    config.cleanup_path = path;
    config.cleanup_inode = static_cast<std::uint64_t>(st.st_ino);
  }
  auto state = std::make_shared<ServerState>(std::move(config), home);
  state->add_listener(make_listener(home, std::move(acc), opts.backlog));
  Server server = state->make_handle();
  if (opts.start_serving) server.start_serving();
  return server;
}

} // namespace detail
} // namespace coreio
