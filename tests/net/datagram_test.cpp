#include "coreio/net/datagram.hpp"

#include <chrono>
#include <string>

#include "coreio/coreio.hpp"
#include "coreio/net/net.hpp"
#include "coreio_test.hpp"

using namespace std::chrono_literals;

namespace {
coreio::Address loopback(std::uint16_t port = 0) { return {AF_INET, "127.0.0.1", port}; }
coreio::Address sockname(const coreio::DatagramTransport& t) {
  return std::any_cast<coreio::Address>(t.get_extra_info("sockname"));
}
} // namespace

TEST_SUITE("DatagramTransport") {

COREIO_TEST_CASE("a UDP round trip between two endpoints") {
  auto a = coreio::create_datagram_endpoint({.local_addr = loopback()});
  auto b = coreio::create_datagram_endpoint({.local_addr = loopback()});
  const auto a_addr = sockname(a);
  CHECK(a_addr.port != 0);
  auto echo = coreio::create_task([a]() mutable {
    auto [data, from] = a.recvfrom();
    a.sendto("echo: " + data, from);
    return from;
  });
  b.sendto("ping", a_addr);
  auto [reply, from] = b.recvfrom();
  CHECK(reply == "echo: ping");
  CHECK(from == a_addr);
  CHECK(echo.get() == sockname(b));
}

COREIO_TEST_CASE("a connected endpoint sends without an address and rejects other addresses") {
  auto server = coreio::create_datagram_endpoint({.local_addr = loopback()});
  auto client = coreio::create_datagram_endpoint({.remote_addr = sockname(server)});
  CHECK(std::any_cast<coreio::Address>(client.get_extra_info("peername")) == sockname(server));
  client.sendto("hello");
  auto [data, from] = server.recvfrom();
  CHECK(data == "hello");
  server.sendto("back", from);
  CHECK(client.recvfrom().first == "back");
  CHECK_THROWS_AS(client.sendto("x", loopback(9)), coreio::ValueError);
}

COREIO_TEST_CASE("a cancelled recvfrom raises CancelledError and the endpoint stays usable") {
  auto a = coreio::create_datagram_endpoint({.local_addr = loopback()});
  auto waiting = coreio::create_task([a]() mutable { return a.recvfrom(); });
  coreio::sleep(5ms);
  waiting.cancel();
  waiting.wait();
  CHECK(waiting.cancelled());
  auto b = coreio::create_datagram_endpoint({.local_addr = loopback()});
  b.sendto("later", sockname(a));
  CHECK(a.recvfrom().first == "later");
}

COREIO_TEST_CASE("two tasks receiving at once is an error, and close ends a pending receive") {
  auto a = coreio::create_datagram_endpoint({.local_addr = loopback()});
  auto first = coreio::create_task([a]() mutable { return a.recvfrom(); });
  coreio::sleep(5ms);
  CHECK_THROWS_AS(a.recvfrom(), coreio::RuntimeError);
  a.close();
  CHECK(a.is_closing());
  CHECK_THROWS_AS(first.get(), coreio::OSError);
  CHECK_THROWS_AS(a.sendto("x", loopback(9)), coreio::OSError);
}

COREIO_TEST_CASE("a datagram longer than max_size is truncated") {
  auto a = coreio::create_datagram_endpoint({.local_addr = loopback()});
  auto b = coreio::create_datagram_endpoint({.local_addr = loopback()});
  b.sendto(std::string(1000, 'd'), sockname(a));
  CHECK(a.recvfrom(100).first == std::string(100, 'd'));
}

} // TEST_SUITE
