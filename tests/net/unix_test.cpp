#include "coreio/net/unix.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>

#include "coreio/coreio.hpp"
#include "coreio/net/net.hpp"
#include "coreio_test.hpp"

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/coreio-unix-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

void echo_lines(coreio::StreamReader& r, coreio::StreamWriter& w) {
  for (std::string line; !(line = r.readline()).empty();) w.write(line);
  w.close();
}

} // namespace

TEST_SUITE("Unix sockets") {

COREIO_TEST_CASE("a Unix socket round trip, and the server lists its path") {
  TempDir dir;
  const std::string path = dir.path + "/echo.sock";
  auto server = coreio::start_unix_server(echo_lines, path);
  REQUIRE(server.sockets().size() == 1);
  CHECK(server.sockets()[0].family == AF_UNIX);
  CHECK(server.sockets()[0].host == path);
  auto [r, w] = coreio::open_unix_connection(path);
  CHECK(std::any_cast<coreio::Address>(w.get_extra_info("peername")).host == path);
  w.write("over unix\n");
  CHECK(r.readline() == "over unix\n");
  w.write_eof();
  CHECK(r.read() == "");
  server.close();
  server.wait_closed();
}

COREIO_TEST_CASE("close removes the socket file; a stale file is replaced at start") {
  TempDir dir;
  const std::string path = dir.path + "/s.sock";
  {
    auto server = coreio::start_unix_server(echo_lines, path, {.cleanup_socket = false});
    server.close();
    server.wait_closed();
  }
  CHECK(exists(path)); // left behind without cleanup_socket
  auto server = coreio::start_unix_server(echo_lines, path);
  auto [r, w] = coreio::open_unix_connection(path);
  w.write("fresh\n");
  CHECK(r.readline() == "fresh\n");
  server.close();
  CHECK_FALSE(exists(path));
  server.close_clients();
  server.wait_closed();
}

COREIO_TEST_CASE("connecting to a path with no server raises OSError") {
  TempDir dir;
  CHECK_THROWS_AS(coreio::open_unix_connection(dir.path + "/nobody"), coreio::OSError);
}

COREIO_TEST_CASE("a Unix server hands its connections to every loop") {
  TempDir dir;
  const std::string path = dir.path + "/spread.sock";
  std::mutex mu;
  std::set<std::size_t> loops;
  auto server = coreio::start_unix_server(
      [&](coreio::StreamReader& r, coreio::StreamWriter& w) {
        {
          std::lock_guard g(mu);
          loops.insert(coreio::get_running_loop().index());
        }
        echo_lines(r, w);
      },
      path);
  const auto n = coreio::get_running_loop().runtime().num_loops();
  for (std::size_t i = 0; i < 2 * n; ++i) {
    auto [r, w] = coreio::open_unix_connection(path);
    w.write("x\n");
    CHECK(r.readline() == "x\n");
    w.close();
  }
  std::lock_guard g(mu);
  if (!coreio::get_running_loop().runtime().config().stealing) // else a handler may be stolen before it runs
    CHECK(loops.size() == n);
}

} // TEST_SUITE
