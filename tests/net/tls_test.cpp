#include "coreio/net/tls.hpp"

#include <openssl/ssl.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "coreio/coreio.hpp"
#include "coreio/net/net.hpp"
#include "coreio_test.hpp"
#include "net_test_util.hpp"

using namespace std::chrono_literals;
using coreio::testing::port_of;

namespace {

/// A self-signed certificate for localhost / 127.0.0.1, made once per test
/// run with the openssl command-line tool in a fresh temporary directory.
struct TestCert {
  std::string dir, cert, key;
  TestCert() {
    char tmpl[] = "/tmp/coreio-tls-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    REQUIRE(d != nullptr);
    dir = d;
    cert = dir + "/cert.pem";
    key = dir + "/key.pem";
    const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
                            "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
                            key + " -out " + cert + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  ~TestCert() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

const TestCert& test_cert() {
  static TestCert c;
  return c;
}

coreio::SSLContext server_context() {
  coreio::SSLContext ctx(coreio::SSLContext::Protocol::tls_server);
  ctx.load_cert_chain(test_cert().cert, test_cert().key);
  return ctx;
}

coreio::SSLContext client_context() {
  coreio::SSLContext ctx(coreio::SSLContext::Protocol::tls_client);
  ctx.load_verify_locations(test_cert().cert);
  return ctx;
}

void echo_lines(coreio::StreamReader& r, coreio::StreamWriter& w) {
  for (std::string line; !(line = r.readline()).empty();) {
    w.write(line);
    w.drain();
  }
  w.close();
}

} // namespace

TEST_SUITE("TLS") {

COREIO_TEST_CASE("a TLS client and server exchange data over a verified connection") {
  auto server = coreio::start_server(echo_lines, "127.0.0.1", 0, {.limit = 1 << 20, .ssl = server_context()});
  auto [r, w] = coreio::open_connection("127.0.0.1", port_of(server),
                                        {.limit = 1 << 20, .ssl = client_context(), .server_hostname = "localhost"});
  CHECK(std::any_cast<SSL*>(w.get_extra_info("ssl_object")) != nullptr);
  CHECK_FALSE(std::any_cast<std::string>(w.get_extra_info("cipher")).empty());
  CHECK(w.get_extra_info("sslcontext").has_value());
  CHECK_FALSE(w.can_write_eof());
  for (int i = 0; i < 10; ++i) {
    w.write("secret " + std::to_string(i) + "\n");
    CHECK(r.readline() == "secret " + std::to_string(i) + "\n");
  }
  // Bulk data both ways through the TLS record layer.
  const std::string big(512 * 1024, 's');
  w.write(big + "\n");
  w.drain();
  const bool same = r.readline() == big + "\n";
  CHECK(same);
  w.close();
  w.wait_closed();
}

COREIO_TEST_CASE("a client that does not trust the certificate fails the handshake with SSLError") {
  auto server = coreio::start_server(echo_lines, "127.0.0.1", 0, {.ssl = server_context()});
  coreio::SSLContext untrusting(coreio::SSLContext::Protocol::tls_client);
  CHECK_THROWS_AS(coreio::open_connection("127.0.0.1", port_of(server), {.ssl = untrusting, .server_hostname = "localhost"}),
                  coreio::SSLError);
  // The server survives the failed handshake.
  auto [r, w] = coreio::open_connection("127.0.0.1", port_of(server),
                                        {.ssl = client_context(), .server_hostname = "localhost"});
  w.write("after\n");
  CHECK(r.readline() == "after\n");
}

COREIO_TEST_CASE("a certificate for another host name is rejected") {
  auto server = coreio::start_server(echo_lines, "127.0.0.1", 0, {.ssl = server_context()});
  CHECK_THROWS_AS(coreio::open_connection("127.0.0.1", port_of(server),
                                          {.ssl = client_context(), .server_hostname = "example.org"}),
                  coreio::SSLError);
}

COREIO_TEST_CASE("a TLS handshake with a silent peer times out") {
  auto silent = coreio::start_server([](coreio::StreamReader& r, coreio::StreamWriter&) { (void)r.read(); },
                                     "127.0.0.1", 0);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(coreio::open_connection("127.0.0.1", port_of(silent),
                                          {.ssl = client_context(),
                                           .server_hostname = "localhost",
                                           .ssl_handshake_timeout = 100ms}),
                  coreio::TimeoutError);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  silent.close_clients();
}

COREIO_TEST_CASE("start_tls upgrades a plain connection in place (STARTTLS)") {
  auto server = coreio::start_server(
      [](coreio::StreamReader& r, coreio::StreamWriter& w) {
        CHECK(r.readline() == "STARTTLS\n");
        w.write("OK\n");
        w.drain();
        w.start_tls(server_context());
        CHECK(w.get_extra_info("ssl_object").has_value());
        echo_lines(r, w);
      },
      "127.0.0.1", 0);
  auto [r, w] = coreio::open_connection("127.0.0.1", port_of(server));
  CHECK_FALSE(w.get_extra_info("ssl_object").has_value());
  w.write("STARTTLS\n");
  CHECK(r.readline() == "OK\n");
  w.start_tls(client_context(), {.server_hostname = "localhost"});
  CHECK(w.get_extra_info("ssl_object").has_value());
  w.write("now encrypted\n");
  CHECK(r.readline() == "now encrypted\n");
  w.close();
  w.wait_closed();
}

COREIO_TEST_CASE("start_tls waits until a queued reply is out, also from a task on another loop") {
  const std::string bulk(8 << 20, 'b'); // more than the socket buffers: the flusher must finish it
  auto server = coreio::start_server(
      [&bulk](coreio::StreamReader& r, coreio::StreamWriter& w) {
        CHECK(r.readline() == "STARTTLS\n");
        auto& here = coreio::get_running_loop();
        auto& other = here.runtime().loop((here.index() + 1) % here.runtime().num_loops());
        // Off the stream's loop, write() queues everything for the loop's
        // flusher; start_tls must wait until it is out, then take over.
        // Limits above the bulk: no pause/resume, so only the end of the
        // flush can wake start_tls.
        w.set_write_buffer_limits(32 << 20);
        coreio::run_on(other, [&] {
          w.write(bulk + "OK\n");
          w.start_tls(server_context());
        });
        echo_lines(r, w);
      },
      "127.0.0.1", 0, {.limit = 16 << 20});
  auto [r, w] = coreio::open_connection("127.0.0.1", port_of(server), {.limit = 16 << 20});
  w.write("STARTTLS\n");
  coreio::sleep(20ms); // let the server queue its reply before we read any of it
  CHECK(r.readexactly(bulk.size()).size() == bulk.size());
  CHECK(r.readline() == "OK\n");
  w.start_tls(client_context(), {.server_hostname = "localhost", .ssl_handshake_timeout = 5s});
  w.write("upgraded\n");
  CHECK(r.readline() == "upgraded\n");
  w.close();
}

COREIO_TEST_CASE("start_tls while another task waits in read() raises RuntimeError and leaves the stream usable") {
  auto server = coreio::start_server(echo_lines, "127.0.0.1", 0);
  auto [r, w] = coreio::open_connection("127.0.0.1", port_of(server));
  // Eager: create_task returns once the reader is suspended in its read.
  auto reader = coreio::create_task([r = r]() mutable { return r.readline(); }, {.eager = true});
  REQUIRE_FALSE(reader.done());
  CHECK_THROWS_AS(w.start_tls(client_context(), {.server_hostname = "localhost"}), coreio::RuntimeError);
  w.write("still plain\n");
  CHECK(reader.get() == "still plain\n");
  w.close();
  w.wait_closed();
}

COREIO_TEST_CASE("TLS over a Unix socket") {
  char tmpl[] = "/tmp/coreio-tls-unix-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string path = dir + "/s";
  auto server = coreio::start_unix_server(echo_lines, path, {.ssl = server_context()});
  auto [r, w] = coreio::open_unix_connection(path, {.ssl = client_context(), .server_hostname = "localhost"});
  w.write("unix tls\n");
  CHECK(r.readline() == "unix tls\n");
  w.close();
  server.close();
  server.wait_closed();
  std::filesystem::remove_all(dir);
}

} // TEST_SUITE
