// Server: ServerState's lifecycle (server_state.hpp) and start_server for TCP.
#include "coreio/net/server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/v6_only.hpp>

#include "coreio/net/dns.hpp"
#include "server_state.hpp"

namespace coreio {

namespace detail {

ServerState::ServerState(ServerConfig config, Loop& home)
    : config_(std::move(config)), home_(&home), runtime_(&home.runtime()) {}

void ServerState::add_listener(Listener l) {
  std::lock_guard g(mu_);
  listeners_.push_back(std::move(l));
}

Server ServerState::make_handle() { return Server(std::make_shared<ServerHandle>(shared_from_this())); }

Loop& ServerState::target_loop(Loop& accepting) {
  if (config_.mode == AcceptMode::per_loop) return accepting;
  // Relaxed: only spreads connections; no data is published through it.
  return runtime_->loop(rr_.fetch_add(1, std::memory_order_relaxed) % runtime_->num_loops());
}

void ServerState::start_serving() {
  std::unique_lock lk(mu_);
  if (closed_) throw RuntimeError("server is closed");
  if (serving_) return;
  serving_ = true;
  auto self = shared_from_this();
  for (Listener& l : listeners_) {
    if (l.started) continue;
    l.started = true;
    ++accept_tasks_;
    try {
      l.task = l.start(self);
    } catch (...) {
      --accept_tasks_;
      throw;
    }
  }
}

bool ServerState::is_serving() const {
  std::lock_guard g(mu_);
  return serving_ && !closed_;
}

std::vector<Address> ServerState::sockets() const {
  std::lock_guard g(mu_);
  std::vector<Address> out;
  if (closed_) return out;
  for (const Listener& l : listeners_) out.push_back(l.sockname);
  return out;
}

void ServerState::close() {
  std::vector<TaskHandle> tasks;
  std::vector<Listener> idle;
  {
    WakeBatch wake;
    std::lock_guard g(mu_);
    if (closed_) return;
    closed_ = true;
    serving_ = false;
    for (Listener& l : listeners_) {
      if (l.task) tasks.push_back(l.task);
      if (l.started) ::shutdown(l.fd, SHUT_RDWR); // stop listening now; the fd stays the acceptor's
      else idle.push_back(std::move(l));
    }
    listeners_.clear();
    waiters_.notify_all(wake);
  }
  // Each accept task closes its acceptor on its own loop as it unwinds.
  for (auto& t : tasks) t.cancel();
  idle.clear();
  cleanup_socket_file();
}

void ServerState::cleanup_socket_file() noexcept {
  if (config_.cleanup_path.empty()) return;
  struct stat st {};
  // asyncio 3.13: only if the path is still the socket this server bound.
  if (::stat(config_.cleanup_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) &&
      static_cast<std::uint64_t>(st.st_ino) == config_.cleanup_inode)
    ::unlink(config_.cleanup_path.c_str());
}

void ServerState::accept_task_ended() {
  WakeBatch wake;
  std::lock_guard g(mu_);
  --accept_tasks_;
  waiters_.notify_all(wake);
}

void ServerState::remember(std::uint64_t id, const std::shared_ptr<StreamCore>& core) {
  std::lock_guard g(mu_);
  conns_.emplace(id, core);
}

void ServerState::connection_gone(std::uint64_t id) {
  WakeBatch wake;
  std::lock_guard g(mu_);
  conns_.erase(id);
  --active_;
  waiters_.notify_all(wake);
}

void ServerState::close_clients(bool abort) {
  std::vector<std::shared_ptr<StreamCore>> live;
  {
    std::lock_guard g(mu_);
    for (auto& [id, weak] : conns_)
      if (auto c = weak.lock()) live.push_back(std::move(c));
  }
  for (auto& c : live) abort ? c->abort() : c->close();
}

void ServerState::wait_closed() {
  std::unique_lock lk(mu_);
  while (!(closed_ && accept_tasks_ == 0 && active_ == 0)) waiters_.wait(lk);
}

void ServerState::serve_forever() {
  {
    std::lock_guard g(mu_);
    if (serve_forever_running_) throw RuntimeError("server is already being awaited on serve_forever()");
    if (closed_) throw RuntimeError("server is closed");
    serve_forever_running_ = true;
  }
  struct Done {
    ServerState& s;
    ~Done() {
      std::lock_guard g(s.mu_);
      s.serve_forever_running_ = false;
    }
  } done{*this};
  start_serving();
  try {
    std::unique_lock lk(mu_);
    while (!closed_) waiters_.wait(lk);
  } catch (const CancelledError&) {
    close();
    wait_closed();
    throw;
  }
  wait_closed();
}

bool ServerState::on_accept_error(const boost::system::error_code& ec, Loop& loop) {
  if (ec == boost::asio::error::operation_aborted || ec == boost::asio::error::bad_descriptor || closed())
    return false;
  const int err = ec.category() == boost::system::system_category() ? ec.value() : 0;
  // A connection that died in the backlog (or was refused by a firewall rule):
  // nothing to back off from.
  if (err == ECONNABORTED || err == EPROTO || err == EPERM || err == EAGAIN || err == EINTR) return true;
  const bool resources = err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
  std::exception_ptr e;
  try {
    throw_os_error(ec, "accept");
  } catch (...) {
    e = std::current_exception();
  }
  loop.call_exception_handler(
      {.message = resources ? "socket.accept() out of system resource" : "socket.accept() failed", .exception = e});
  // Back off instead of spinning: the backlog waits in the kernel meanwhile.
  coreio::sleep(config_.accept_retry_delay);
  return true;
}

} // namespace detail

// ---------------------------------------------------------------- Server

detail::ServerState& Server::state() const {
  if (!handle_) throw InvalidStateError("Server: empty handle");
  return *handle_->state;
}

void Server::close() { state().close(); }
void Server::close_clients() { state().close_clients(false); }
void Server::abort_clients() { state().close_clients(true); }
void Server::wait_closed() { state().wait_closed(); }
void Server::serve_forever() { state().serve_forever(); }
void Server::start_serving() { state().start_serving(); }
bool Server::is_serving() const { return state().is_serving(); }
std::vector<Address> Server::sockets() const { return state().sockets(); }
Loop& Server::get_loop() const { return state().home(); }

// ---------------------------------------------------------------- TCP

namespace detail {

namespace {

using tcp = boost::asio::ip::tcp;

std::vector<tcp::endpoint> listen_endpoints(std::string_view host, std::uint16_t port, int family) {
  boost::system::error_code ec;
  if (!host.empty()) {
    auto addr = boost::asio::ip::make_address(std::string(host), ec);
    if (!ec) return {tcp::endpoint(addr, port)};
  }
  std::vector<tcp::endpoint> eps;
  for (const AddrInfo& ai : getaddrinfo(host, port, {.family = family, .type = SOCK_STREAM, .flags = AI_PASSIVE})) {
    tcp::endpoint ep(boost::asio::ip::make_address(ai.address.host), ai.address.port);
    if (std::find(eps.begin(), eps.end(), ep) == eps.end()) eps.push_back(ep);
  }
  if (eps.empty()) throw OSError(std::make_error_code(std::errc::address_not_available), "getaddrinfo() returned empty list");
  return eps;
}

std::unique_ptr<tcp::acceptor> bind_acceptor(Loop& loop, const tcp::endpoint& ep, bool reuse_address, bool reuse_port) {
  auto acc = std::make_unique<tcp::acceptor>(io_context_of(loop));
  boost::system::error_code ec;
  acc->open(ep.protocol(), ec);
  if (ec) throw_os_error(ec, "socket()");
  if (ep.address().is_v6()) acc->set_option(boost::asio::ip::v6_only(true), ec); // asyncio: one family per socket
  if (reuse_address) acc->set_option(tcp::acceptor::reuse_address(true), ec);
  if (reuse_port) {
    const int on = 1;
    if (::setsockopt(acc->native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
      throw_os_error(boost::system::error_code(errno, boost::system::system_category()), "SO_REUSEPORT");
  }
  acc->bind(ep, ec);
  if (ec) throw_os_error(ec, "error while attempting to bind on address " + to_address(ep).to_string());
  return acc;
}

} // namespace

Server start_tcp_server(ClientConnected handler, std::string_view host, std::uint16_t port, ServerOptions opts) {
  Loop& home = get_running_loop();
  Runtime& rt = home.runtime();
  if (opts.limit == 0) throw ValueError("Limit cannot be <= 0");
  const bool per_loop = opts.accept_mode == AcceptMode::per_loop && rt.num_loops() > 1;
  auto state = std::make_shared<ServerState>(
      ServerConfig{.handler = std::move(handler),
                   .streams = {.limit = opts.limit},
                   .ssl = opts.ssl,
                   .handshake_timeout = opts.ssl_handshake_timeout.value_or(std::chrono::seconds(60)),
                   .shutdown_timeout = opts.ssl_shutdown_timeout.value_or(std::chrono::seconds(30)),
                   .backlog = opts.backlog,
                   .keep_alive = opts.keep_alive,
                   .tcp = true,
                   .accept_retry_delay = opts.accept_retry_delay,
                   .mode = per_loop ? AcceptMode::per_loop : AcceptMode::round_robin},
      home);
  for (tcp::endpoint ep : listen_endpoints(host, port, opts.family)) {
    if (!per_loop) {
      state->add_listener(make_listener(home, bind_acceptor(home, ep, opts.reuse_address, opts.reuse_port), opts.backlog));
      continue;
    }
    // One listening socket per loop on the same address; port 0 is chosen by
    // the first bind and shared by the rest. A given port is first probed
    // with a socket that does not set SO_REUSEPORT: the probe fails if anyone
    // listens there, even another SO_REUSEPORT group, so a second server on a
    // busy port gets EADDRINUSE as in asyncio instead of silently joining.
    if (ep.port() != 0 && !opts.reuse_port) bind_acceptor(home, ep, opts.reuse_address, false)->close();
    for (std::size_t i = 0; i < rt.num_loops(); ++i) {
      Loop& loop = rt.loop(i);
      auto acc = bind_acceptor(loop, ep, opts.reuse_address, true);
      if (ep.port() == 0) ep.port(acc->local_endpoint().port());
      state->add_listener(make_listener(loop, std::move(acc), opts.backlog));
    }
  }
  Server server = state->make_handle();
  if (opts.start_serving) server.start_serving();
  return server;
}

} // namespace detail
} // namespace coreio
