#include "coreio/net/connection.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "coreio/coreio.hpp"
#include "coreio/detail/asio_loop.hpp"
#include "coreio/net/net.hpp"
#include "coreio_test.hpp"
#include "net_test_util.hpp"

using namespace std::chrono_literals;
using coreio::testing::port_of;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

coreio::Server echo_line_server() {
  return coreio::start_server([](coreio::StreamReader& r, coreio::StreamWriter& w) { w.write(r.readline()); },
                              "127.0.0.1", 0);
}

/// A listener whose backlog is full: further connection attempts hang (the
/// SYNs are dropped), like an address that does not answer.
struct Blackhole {
  tcp::acceptor acceptor;
  std::vector<tcp::socket> fillers;
  explicit Blackhole(asio::io_context& io) : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    acceptor.listen(0);
    for (int i = 0; i < 3; ++i) {
      fillers.emplace_back(io);
      fillers.back().async_connect(acceptor.local_endpoint(), [](const boost::system::error_code&) {});
    }
  }
  tcp::endpoint endpoint() const { return acceptor.local_endpoint(); }
};

asio::io_context& here() { return coreio::detail::io_context_of(coreio::get_running_loop()); }

} // namespace

TEST_SUITE("open_connection") {

COREIO_TEST_CASE("open_connection resolves a host name and connects") {
  auto server = echo_line_server();
  auto [r, w] = coreio::open_connection("localhost", port_of(server), {.family = AF_INET});
  const auto peer = std::any_cast<coreio::Address>(w.get_extra_info("peername"));
  CHECK(peer.host == "127.0.0.1");
  CHECK(peer.port == port_of(server));
  CHECK(std::any_cast<coreio::Address>(w.get_extra_info("sockname")).family == AF_INET);
  w.write("by name\n");
  CHECK(r.readline() == "by name\n");
}

COREIO_TEST_CASE("a refused connection raises ConnectionRefusedError naming the address") {
  tcp::acceptor probe(here(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = probe.local_endpoint().port();
  probe.close();
  try {
    (void)coreio::open_connection("127.0.0.1", port);
    FAIL("expected ConnectionRefusedError");
  } catch (const coreio::ConnectionRefusedError& e) {
    CHECK(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
    CHECK(e.code() == std::errc::connection_refused);
  }
}

COREIO_TEST_CASE("an unknown host raises GaiError") {
  CHECK_THROWS_AS(coreio::open_connection("no-such-host.invalid", 80), coreio::GaiError);
}

COREIO_TEST_CASE("open_connection binds to local_addr first") {
  auto server = echo_line_server();
  auto [r, w] = coreio::open_connection("127.0.0.1", port_of(server),
                                        {.local_addr = coreio::Address{AF_INET, "127.0.0.1", 0}});
  CHECK(std::any_cast<coreio::Address>(w.get_extra_info("sockname")).host == "127.0.0.1");
  w.write("bound\n");
  CHECK(r.readline() == "bound\n");
}

COREIO_TEST_CASE("happy eyeballs starts the next attempt after the delay and cancels the loser") {
  auto server = echo_line_server();
  Blackhole hole(here());
  const std::vector<tcp::endpoint> eps{hole.endpoint(),
                                       tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_of(server))};
  const auto t0 = std::chrono::steady_clock::now();
  tcp::socket s = coreio::detail::connect_tcp(eps, 50ms, std::nullopt, false);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= 50ms);
  CHECK(took < 5s);
  CHECK(s.remote_endpoint().port() == port_of(server));
}

COREIO_TEST_CASE("happy eyeballs moves on at once when an attempt fails, without waiting for the delay") {
  auto server = echo_line_server();
  tcp::acceptor probe(here(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto closed_port = probe.local_endpoint().port();
  probe.close();
  const std::vector<tcp::endpoint> eps{tcp::endpoint(asio::ip::make_address("127.0.0.1"), closed_port),
                                       tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_of(server))};
  const auto t0 = std::chrono::steady_clock::now();
  tcp::socket s = coreio::detail::connect_tcp(eps, 10s, std::nullopt, false);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(s.remote_endpoint().port() == port_of(server));
}

COREIO_TEST_CASE("when every attempt fails, all_errors raises an ExceptionGroup of them") {
  tcp::acceptor a(here(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::acceptor b(here(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::vector<tcp::endpoint> eps{a.local_endpoint(), b.local_endpoint()};
  a.close();
  b.close();
  try {
    (void)coreio::detail::connect_tcp(eps, 20ms, std::nullopt, true);
    FAIL("expected ExceptionGroup");
  } catch (const coreio::ExceptionGroup& g) {
    CHECK(g.exceptions().size() == 2);
    CHECK(g.contains<coreio::ConnectionRefusedError>());
  }
  // Without all_errors: two different messages become one OSError.
  CHECK_THROWS_AS(coreio::detail::connect_tcp(eps, std::nullopt, std::nullopt, false), coreio::OSError);
}

COREIO_TEST_CASE("cancelling open_connection during a hanging connect raises CancelledError promptly") {
  Blackhole hole(here());
  const auto port = hole.endpoint().port();
  auto task = coreio::create_task([port] { (void)coreio::open_connection("127.0.0.1", port); });
  coreio::sleep(20ms);
  const auto t0 = std::chrono::steady_clock::now();
  task.cancel();
  task.wait();
  CHECK(task.cancelled());
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

COREIO_TEST_CASE("a stream opened on one loop is usable from a task on another") {
  auto server = echo_line_server();
  auto [r, w] = coreio::open_connection("127.0.0.1", port_of(server));
  auto& rt = coreio::get_running_loop().runtime();
  coreio::run_on(rt.loop(rt.num_loops() - 1), [r = r, w = w]() mutable {
    w.write("from elsewhere\n");
    w.drain();
    CHECK(r.readline() == "from elsewhere\n");
  });
}

} // TEST_SUITE
