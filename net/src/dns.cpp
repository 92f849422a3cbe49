// getaddrinfo through Asio's resolver. The resolver and the result travel in a
// shared state owned by the completion handler, and the task waits on a
// Future: cancelling the task cancels that Future at once, and a lookup that
// is already inside ::getaddrinfo (which cannot be interrupted) completes
// later into a Future nobody reads.
#include "coreio/net/dns.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "coreio/detail/asio_loop.hpp"
#include "coreio/future.hpp"
#include "coreio/loop.hpp"
#include "coreio/net/detail/stream_transport.hpp"
#include "coreio/net/exceptions.hpp"

namespace coreio {

namespace {

template <class Protocol>
std::vector<AddrInfo> resolve(std::string_view host, std::string_view port, const GetAddrInfoOptions& opts) {
  using resolver = typename Protocol::resolver;
  Loop& loop = get_running_loop();
  struct State {
    explicit State(boost::asio::io_context& io) : r(io) {}
    resolver r;
  };
  auto state = std::make_shared<State>(detail::io_context_of(loop));
  Future<std::vector<AddrInfo>> result;
  const auto flags = static_cast<typename resolver::flags>(opts.flags);
  const int type = std::is_same_v<Protocol, boost::asio::ip::udp> ? SOCK_DGRAM : SOCK_STREAM;
  const int proto = std::is_same_v<Protocol, boost::asio::ip::udp> ? IPPROTO_UDP : IPPROTO_TCP;
  auto done = [state, result, type, proto, want_canon = (opts.flags & AI_CANONNAME) != 0](
                  const boost::system::error_code& ec, typename resolver::results_type results) mutable {
    try {
      if (ec) {
        try {
          detail::throw_os_error(ec, "getaddrinfo");
        } catch (...) {
          result.set_exception(std::current_exception());
        }
        return;
      }
      std::vector<AddrInfo> out;
      for (const auto& entry : results) {
        const auto ep = entry.endpoint();
        out.push_back(AddrInfo{.family = ep.address().is_v6() ? AF_INET6 : AF_INET,
                               .type = type,
                               .proto = proto,
                               .canonname = out.empty() && want_canon ? entry.host_name() : std::string(),
                               .address = detail::to_address(ep)});
      }
      result.set_result(std::move(out));
    } catch (const InvalidStateError&) {
      // The caller was cancelled (the Future with it): nobody wants the answer.
    }
  };
  // We run on `loop` now, so the resolver is started on its own loop thread.
  const std::string h(host), p(port);
  if (opts.family == AF_INET)
    state->r.async_resolve(Protocol::v4(), h, p, flags, std::move(done));
  else if (opts.family == AF_INET6)
    state->r.async_resolve(Protocol::v6(), h, p, flags, std::move(done));
  else
    state->r.async_resolve(h, p, flags, std::move(done));
  return result.get();
}

} // namespace

std::vector<AddrInfo> getaddrinfo(std::string_view host, std::string_view port, GetAddrInfoOptions opts) {
  if (opts.family != AF_UNSPEC && opts.family != AF_INET && opts.family != AF_INET6)
    throw ValueError("getaddrinfo: family must be AF_UNSPEC, AF_INET or AF_INET6");
  if (opts.type == SOCK_DGRAM) return resolve<boost::asio::ip::udp>(host, port, opts);
  return resolve<boost::asio::ip::tcp>(host, port, opts);
}

std::vector<AddrInfo> getaddrinfo(std::string_view host, std::uint16_t port, GetAddrInfoOptions opts) {
  return getaddrinfo(host, std::to_string(port), opts);
}

} // namespace coreio
