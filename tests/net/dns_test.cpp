#include "coreio/net/dns.hpp"

#include <netdb.h>

#include <algorithm>

#include "coreio/coreio.hpp"
#include "coreio/net/exceptions.hpp"
#include "coreio_test.hpp"

TEST_SUITE("getaddrinfo") {

COREIO_TEST_CASE("localhost resolves to the loopback address with the port") {
  auto infos = coreio::getaddrinfo("localhost", 8080, {.family = AF_INET});
  REQUIRE_FALSE(infos.empty());
  CHECK(std::any_of(infos.begin(), infos.end(), [](const coreio::AddrInfo& ai) {
    return ai.family == AF_INET && ai.type == SOCK_STREAM && ai.proto == IPPROTO_TCP &&
           ai.address == coreio::Address{AF_INET, "127.0.0.1", 8080};
  }));
}

COREIO_TEST_CASE("numeric hosts and named services resolve, for UDP too") {
  auto v6 = coreio::getaddrinfo("::1", "80");
  REQUIRE(v6.size() >= 1);
  CHECK(v6[0].family == AF_INET6);
  CHECK(v6[0].address.to_string() == "[::1]:80");
  auto udp = coreio::getaddrinfo("127.0.0.1", "domain", {.type = SOCK_DGRAM});
  REQUIRE(udp.size() >= 1);
  CHECK(udp[0].type == SOCK_DGRAM);
  CHECK(udp[0].address.port == 53);
}

COREIO_TEST_CASE("AI_CANONNAME fills canonname of the first result") {
  auto infos = coreio::getaddrinfo("localhost", 0, {.family = AF_INET, .flags = AI_CANONNAME});
  REQUIRE_FALSE(infos.empty());
  CHECK_FALSE(infos[0].canonname.empty());
}

COREIO_TEST_CASE("unknown hosts and services raise GaiError, and the loop goes on") {
  CHECK_THROWS_AS(coreio::getaddrinfo("no-such-host.invalid", 80), coreio::GaiError);
  CHECK_THROWS_AS(coreio::getaddrinfo("localhost", "no-such-service-name"), coreio::GaiError);
  CHECK_THROWS_AS(coreio::getaddrinfo("not a number", "1", {.flags = AI_NUMERICHOST}), coreio::GaiError);
  try {
    (void)coreio::getaddrinfo("no-such-host.invalid", 80);
  } catch (const coreio::GaiError& e) {
    CHECK(std::string(e.what()).find("getaddrinfo") != std::string::npos);
  }
  CHECK_FALSE(coreio::getaddrinfo("127.0.0.1", 1).empty());
  CHECK_THROWS_AS(coreio::getaddrinfo("localhost", 1, {.family = AF_UNIX}), coreio::ValueError);
}

} // TEST_SUITE
