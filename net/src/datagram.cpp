// DatagramTransport: a UDP socket driven by its loop; sends and receives go
// through use_task (so they run on the socket's loop thread, and cancel
// through Asio per-operation cancellation). close() is dispatched to the
// loop thread too, so the socket object is only ever touched there.
#include "coreio/net/datagram.hpp"

#include <atomic>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>

#include "coreio/detail/asio_loop.hpp"
#include "coreio/loop.hpp"
#include "coreio/net/detail/stream_transport.hpp"
#include "coreio/net/dns.hpp"
#include "coreio/net/exceptions.hpp"

namespace coreio {

namespace detail {

using udp = boost::asio::ip::udp;

class DatagramState : public std::enable_shared_from_this<DatagramState> {
public:
  explicit DatagramState(boost::asio::io_context& io) : sock_(io) {}

  boost::asio::basic_datagram_socket<udp, LoopExecutor> sock_;
  TransportInfo info_;
  std::optional<udp::endpoint> remote_;
  std::atomic<bool> closing_{false};
  std::atomic<bool> receiving_{false};
  std::atomic<bool> sending_{false};

  void close() {
    // AcqRel: one caller wins the close; it publishes `closing_` to the
    // Acquire loads in sendto()/recvfrom()/is_closing().
    if (closing_.exchange(true, std::memory_order_acq_rel)) return;
    auto run = [self = shared_from_this()] {
      boost::system::error_code ec;
      self->sock_.close(ec);
    };
    const auto& ctx = boost::asio::query(sock_.get_executor(), boost::asio::execution::context);
    if (on_loop_of(ctx)) run();
    else boost::asio::post(sock_.get_executor(), run);
  }
};

namespace {

/// One operation at a time per direction (Asio's rule for a socket).
class Exclusive {
public:
  Exclusive(std::atomic<bool>& flag, const char* what) : flag_(flag) {
    // Acquire: pairs with the Release in the destructor of the previous user.
    if (flag_.exchange(true, std::memory_order_acquire))
      throw RuntimeError(std::string(what) + "() called while another task is already in " + what + "()");
  }
  ~Exclusive() { flag_.store(false, std::memory_order_release); }
  Exclusive(const Exclusive&) = delete;
  Exclusive& operator=(const Exclusive&) = delete;

private:
  std::atomic<bool>& flag_;
};

udp::endpoint resolve(const Address& a, int family) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(a.host, ec);
  if (!ec) return {addr, a.port};
  auto infos = getaddrinfo(a.host, a.port, {.family = family, .type = SOCK_DGRAM});
  if (infos.empty()) throw OSError(std::make_error_code(std::errc::address_not_available), "getaddrinfo() returned empty list");
  return {boost::asio::ip::make_address(infos.front().address.host), a.port};
}

} // namespace
} // namespace detail

DatagramTransport create_datagram_endpoint(DatagramOptions opts) {
  using detail::udp;
  std::optional<udp::endpoint> local, remote;
  if (opts.local_addr) local = detail::resolve(*opts.local_addr, opts.family);
  if (opts.remote_addr) remote = detail::resolve(*opts.remote_addr, opts.family);
  udp protocol = udp::v4();
  if (local) protocol = local->protocol();
  else if (remote) protocol = remote->protocol();
  else if (opts.family == AF_INET6) protocol = udp::v6();
  else if (opts.family != AF_UNSPEC && opts.family != AF_INET)
    throw ValueError("create_datagram_endpoint: family must be AF_INET or AF_INET6");
  if (local && remote && local->protocol() != remote->protocol())
    throw ValueError("create_datagram_endpoint: local_addr and remote_addr have different families");

  auto state = std::make_shared<detail::DatagramState>(detail::io_context_of(get_running_loop()));
  auto& s = state->sock_;
  boost::system::error_code ec;
  s.open(protocol, ec);
  if (ec) detail::throw_os_error(ec, "socket()");
  if (opts.reuse_port) {
    const int on = 1;
    if (::setsockopt(s.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
      detail::throw_os_error(boost::system::error_code(errno, boost::system::system_category()), "SO_REUSEPORT");
  }
  if (opts.allow_broadcast) s.set_option(boost::asio::socket_base::broadcast(true), ec);
  if (local) {
    s.bind(*local, ec);
    if (ec) detail::throw_os_error(ec, "error while attempting to bind on address " + detail::to_address(*local).to_string());
  }
  if (remote) {
    auto [cec] = s.async_connect(*remote, use_task_ec);
    if (cec) detail::throw_os_error(cec, "connect to " + detail::to_address(*remote).to_string());
    state->remote_ = remote;
  }
  state->info_ = detail::describe(s);
  return DatagramTransport(std::move(state));
}

void DatagramTransport::sendto(std::string_view data, std::optional<Address> addr) {
  if (!state_) throw InvalidStateError("DatagramTransport: empty handle");
  auto& st = *state_;
  // Acquire: pairs with the AcqRel exchange in close(); a later call sees it.
  if (st.closing_.load(std::memory_order_acquire))
    throw OSError(std::make_error_code(std::errc::bad_file_descriptor), "sendto on a closed transport");
  detail::Exclusive one(st.sending_, "sendto");
  const auto buf = boost::asio::buffer(data.data(), data.size());
  if (st.remote_) {
    if (addr && detail::resolve(*addr, AF_UNSPEC) != *st.remote_)
      throw ValueError("Invalid address: must be None or " + detail::to_address(*st.remote_).to_string());
    auto [ec, n] = st.sock_.async_send(buf, use_task_ec);
    if (ec) detail::throw_os_error(ec, "send");
    return;
  }
  if (!addr) throw ValueError("sendto(): an address is needed (the transport is not connected)");
  const int family = st.info_.sockname ? st.info_.sockname->family : AF_INET;
  const auto to = detail::resolve(*addr, family);
  auto [ec, n] = st.sock_.async_send_to(buf, to, use_task_ec);
  if (ec) detail::throw_os_error(ec, "sendto " + addr->to_string());
}

std::pair<std::string, Address> DatagramTransport::recvfrom(std::size_t max_size) {
  if (!state_) throw InvalidStateError("DatagramTransport: empty handle");
  auto& st = *state_;
  // Acquire: as in sendto().
  if (st.closing_.load(std::memory_order_acquire))
    throw OSError(std::make_error_code(std::errc::bad_file_descriptor), "recvfrom on a closed transport");
  detail::Exclusive one(st.receiving_, "recvfrom");
  std::string data(max_size, '\0');
  detail::udp::endpoint from;
  auto [ec, n] = st.sock_.async_receive_from(boost::asio::buffer(data.data(), data.size()), from, use_task_ec);
  if (ec) detail::throw_os_error(ec, "recvfrom");
  data.resize(n);
  return {std::move(data), detail::to_address(from)};
}

void DatagramTransport::close() {
  if (state_) state_->close();
}

void DatagramTransport::abort() { close(); }

bool DatagramTransport::is_closing() const {
  // Acquire: as in sendto().
  return state_ && state_->closing_.load(std::memory_order_acquire);
}

std::any DatagramTransport::get_extra_info(std::string_view name, std::any default_value) const {
  if (!state_) return default_value;
  const auto& info = state_->info_;
  if (name == "sockname" && info.sockname) return *info.sockname;
  if (name == "peername" && info.peername) return *info.peername;
  if (name == "socket" && info.fd >= 0) return info.fd;
  return default_value;
}

} // namespace coreio
