// open_connection: resolve, connect (sequentially or as a Happy Eyeballs
// staggered race), optional TLS handshake, streams.
//
// # The staggered race (asyncio's staggered.staggered_race)
//  1. Attempt i gets its socket made here, on the caller's loop (so the
//     winner's stream is driven by that loop), and runs as a child task.
//  2. The caller waits until an attempt wins, or attempt i has failed, or the
//     delay has passed; then it starts attempt i+1.
//  3. A child that connects claims the win under the race's lock; a later
//     winner loses and its socket closes when the child ends.
//  4. When there is a winner, or no attempt is left, the caller cancels the
//     attempts still running and waits for every child to end, so no socket
//     outlives the race; then it returns the winner or raises the errors.
#include "coreio/net/connection.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include <boost/asio/ip/address.hpp>

#include "coreio/detail/asio_loop.hpp"
#include "coreio/loop.hpp"
#include "coreio/net/dns.hpp"
#include "coreio/net/exceptions.hpp"
#include "coreio/task.hpp"
#include "state_waiters.hpp"
#include "stream_core.hpp"

namespace coreio {

namespace {

using tcp = boost::asio::ip::tcp;

std::string describe(const tcp::endpoint& ep) { return detail::to_address(ep).to_string(); }

tcp::endpoint to_endpoint(const Address& a, int type_family) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(a.host, ec);
  if (!ec) return {addr, a.port};
  // Not a literal: resolve it (a local address, usually "localhost").
  auto infos = getaddrinfo(a.host, a.port, {.family = type_family, .type = SOCK_STREAM});
  if (infos.empty()) throw OSError(std::make_error_code(std::errc::address_not_available), "getaddrinfo() returned empty list");
  return {boost::asio::ip::make_address(infos.front().address.host), a.port};
}

std::vector<tcp::endpoint> resolve(std::string_view host, std::uint16_t port, int family) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(host), ec);
  if (!ec) return {tcp::endpoint(addr, port)};
  std::vector<tcp::endpoint> eps;
  for (const AddrInfo& ai : getaddrinfo(host, port, {.family = family, .type = SOCK_STREAM}))
    eps.emplace_back(boost::asio::ip::make_address(ai.address.host), ai.address.port);
  if (eps.empty()) throw OSError(std::make_error_code(std::errc::address_not_available), "getaddrinfo() returned empty list");
  return eps;
}

/// asyncio's _interleave_addrinfos.
std::vector<tcp::endpoint> interleave(const std::vector<tcp::endpoint>& eps, int first_family_count) {
  std::vector<std::vector<tcp::endpoint>> by_family;
  std::vector<bool> v6_of;
  for (const auto& ep : eps) {
    const bool v6 = ep.address().is_v6();
    auto it = std::find(v6_of.begin(), v6_of.end(), v6);
    if (it == v6_of.end()) {
      v6_of.push_back(v6);
      by_family.emplace_back();
      it = v6_of.end() - 1;
    }
    by_family[static_cast<std::size_t>(it - v6_of.begin())].push_back(ep);
  }
  std::vector<tcp::endpoint> out;
  std::vector<std::size_t> next(by_family.size(), 0);
  if (first_family_count > 1 && !by_family.empty()) {
    const auto take = std::min<std::size_t>(static_cast<std::size_t>(first_family_count - 1), by_family[0].size());
    out.insert(out.end(), by_family[0].begin(), by_family[0].begin() + static_cast<std::ptrdiff_t>(take));
    next[0] = take;
  }
  for (bool more = true; more;) {
    more = false;
    for (std::size_t f = 0; f < by_family.size(); ++f)
      if (next[f] < by_family[f].size()) {
        out.push_back(by_family[f][next[f]++]);
        more = true;
      }
  }
  return out;
}

detail::TcpSocket open_socket(boost::asio::io_context& io, const tcp::endpoint& ep,
                        const std::optional<tcp::endpoint>& local) {
  detail::TcpSocket s(io);
  boost::system::error_code ec;
  s.open(ep.protocol(), ec);
  if (ec) detail::throw_os_error(ec, "socket()");
  if (local) {
    s.bind(*local, ec);
    if (ec) detail::throw_os_error(ec, "error while attempting to bind on address " + describe(*local));
  }
  return s;
}

void connect(detail::TcpSocket& s, const tcp::endpoint& ep) {
  auto [ec] = s.async_connect(ep, use_task_ec);
  if (ec) detail::throw_os_error(ec, "connect to " + describe(ep));
}

[[noreturn]] void raise_all(std::vector<std::exception_ptr> errors, bool all_errors) {
  std::erase(errors, nullptr);
  if (errors.empty()) throw OSError(std::make_error_code(std::errc::host_unreachable), "no address to connect to");
  if (all_errors) throw ExceptionGroup("create_connection failed", std::move(errors));
  if (errors.size() == 1) std::rethrow_exception(errors.front());
  std::vector<std::string> messages;
  std::error_code first_code;
  for (const auto& e : errors) {
    try {
      std::rethrow_exception(e);
    } catch (const std::system_error& err) {
      if (!first_code) first_code = err.code();
      messages.emplace_back(err.what());
    } catch (const std::exception& err) {
      messages.emplace_back(err.what());
    }
  }
  // asyncio: one error if they all read the same, else "Multiple exceptions".
  if (std::all_of(messages.begin(), messages.end(), [&](const std::string& m) { return m == messages.front(); }))
    std::rethrow_exception(errors.front());
  std::string joined;
  for (const auto& m : messages) joined += (joined.empty() ? "" : ", ") + m;
  throw OSError(first_code, "Multiple exceptions: " + joined);
}

struct Race {
  std::mutex mu;
  detail::StateWaiters waiters;
  std::optional<detail::TcpSocket> winner;
  std::vector<std::exception_ptr> errors;
  std::size_t ended = 0;
};

detail::TcpSocket staggered(std::span<const tcp::endpoint> eps, std::chrono::nanoseconds delay,
                      const std::optional<tcp::endpoint>& local, bool all_errors) {
  Loop& loop = get_running_loop();
  auto& io = detail::io_context_of(loop);
  auto race = std::make_shared<Race>();
  race->errors.resize(eps.size());
  std::vector<Task<void>> attempts;
  auto finish = [&] {
    // Step 4: no attempt outlives the race.
    for (auto& t : attempts) t.cancel();
    for (auto& t : attempts) t.wait();
  };
  try {
    for (std::size_t i = 0; i < eps.size(); ++i) {
      detail::TcpSocket s = [&]() -> detail::TcpSocket {
        try {
          return open_socket(io, eps[i], local);
        } catch (const OSError&) {
          std::lock_guard g(race->mu);
          race->errors[i] = std::current_exception();
          ++race->ended;
          return detail::TcpSocket(io);
        }
      }();
      if (s.is_open()) {
        attempts.push_back(create_task(
            [race, i, ep = eps[i], s = std::move(s)]() mutable {
              try {
                connect(s, ep);
              } catch (const OSError&) {
                detail::WakeBatch wake;
                std::lock_guard g(race->mu);
                race->errors[i] = std::current_exception();
                ++race->ended;
                race->waiters.notify_all(wake);
                return;
              }
              detail::WakeBatch wake;
              std::lock_guard g(race->mu);
              if (!race->winner) race->winner.emplace(std::move(s)); // step 3
              ++race->ended;
              race->waiters.notify_all(wake);
            },
            {.name = "happy-eyeballs-" + describe(eps[i]), .loop = &loop}));
      }
      // Step 2.
      const bool last = i + 1 == eps.size();
      const auto deadline = detail::StateWaiters::clock::now() + delay;
      std::unique_lock lk(race->mu);
      if (!last)
        while (!race->winner && !race->errors[i])
          if (!race->waiters.wait(lk, deadline)) break;
      if (race->winner) break;
    }
    {
      std::unique_lock lk(race->mu);
      while (!race->winner && race->ended < eps.size()) race->waiters.wait(lk);
    }
  } catch (const CancelledError&) {
    finish();
    throw;
  }
  finish();
  std::lock_guard g(race->mu);
  if (race->winner) return std::move(*race->winner);
  raise_all(std::move(race->errors), all_errors);
}

} // namespace

namespace detail {

TcpSocket connect_tcp(std::span<const tcp::endpoint> endpoints, std::optional<std::chrono::nanoseconds> delay,
                        const std::optional<tcp::endpoint>& local, bool all_errors) {
  if (endpoints.empty()) throw OSError(std::make_error_code(std::errc::address_not_available), "no address to connect to");
  if (delay && endpoints.size() > 1) return staggered(endpoints, *delay, local, all_errors);
  auto& io = io_context_of(get_running_loop());
  std::vector<std::exception_ptr> errors;
  for (const auto& ep : endpoints) {
    try {
      detail::TcpSocket s = open_socket(io, ep, local);
      connect(s, ep);
      return s;
    } catch (const OSError&) {
      errors.push_back(std::current_exception());
    }
  }
  raise_all(std::move(errors), all_errors);
}

} // namespace detail

std::pair<StreamReader, StreamWriter> open_connection(std::string_view host, std::uint16_t port,
                                                      OpenConnectionOptions opts) {
  if (opts.server_hostname && !opts.ssl) throw ValueError("server_hostname is only meaningful with ssl");
  std::vector<tcp::endpoint> eps = resolve(host, port, opts.family);
  if (opts.happy_eyeballs_delay || opts.interleave) eps = interleave(eps, opts.interleave.value_or(1));
  std::optional<tcp::endpoint> local;
  if (opts.local_addr) local = to_endpoint(*opts.local_addr, opts.family);
  detail::TcpSocket s = detail::connect_tcp(eps, opts.happy_eyeballs_delay, local, opts.all_errors);
  boost::system::error_code ec;
  s.set_option(tcp::no_delay(true), ec); // asyncio sets TCP_NODELAY on every TCP transport
  std::unique_ptr<detail::StreamTransport> transport;
  if (opts.ssl) {
    const detail::TlsUpgrade how{.context = opts.ssl->shared_native(),
                                 .server_side = false,
                                 .server_hostname = opts.server_hostname.value_or(std::string(host)),
                                 .check_hostname = opts.ssl->check_hostname(),
                                 .handshake_timeout = opts.ssl_handshake_timeout.value_or(std::chrono::seconds(60)),
                                 .shutdown_timeout = opts.ssl_shutdown_timeout.value_or(std::chrono::seconds(30))};
    transport = detail::make_tls_transport(std::move(s), how);
  } else {
    transport = std::make_unique<detail::AsioStreamTransport<detail::TcpSocket>>(std::move(s));
  }
  auto made = detail::make_stream_objects(std::move(transport), {.limit = opts.limit}, false, opts.ssl);
  return {std::move(made.reader), std::move(made.writer)};
}

} // namespace coreio
