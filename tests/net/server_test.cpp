#include "coreio/net/server.hpp"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "coreio/coreio.hpp"
#include "coreio/detail/asio_loop.hpp"
#include "coreio/net/net.hpp"
#include "coreio_test.hpp"
#include "net_test_util.hpp"

using namespace std::chrono_literals;
using coreio::testing::port_of;
namespace asio = boost::asio;

namespace {

/// The first seed's handler (seeds/000): read up to 100 bytes, echo, close.
void handle_echo(coreio::StreamReader& reader, coreio::StreamWriter& writer) {
  std::string data = reader.read(100);
  writer.write(data);
  writer.drain();
  writer.close();
}

/// The second seed's handler (seeds/001): echo until EOF, then close and wait.
void handle_echo_client(coreio::StreamReader& reader, coreio::StreamWriter& writer) {
  const auto addr = std::any_cast<coreio::Address>(writer.get_extra_info("peername"));
  CHECK(addr.host == "127.0.0.1");
  for (;;) {
    std::string data = reader.read(100);
    if (data.empty()) break;
    writer.write(data);
    writer.drain();
  }
  writer.close();
  writer.wait_closed();
}

/// The second seed's client: send, read the echo, close.
std::string tcp_echo_client(std::uint16_t port, const std::string& message) {
  auto [reader, writer] = coreio::open_connection("127.0.0.1", port);
  writer.write(message);
  writer.drain();
  std::string data = reader.read(100);
  writer.close();
  writer.wait_closed();
  return data;
}

/// Polls `done` (bounded), yielding between checks.
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    coreio::sleep(2ms);
  }
  return true;
}

int open_fd_count() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n - 3; // ".", ".." and the DIR's own descriptor
}

} // namespace

TEST_SUITE("Server") {

COREIO_TEST_CASE("the seed echo server answers the seed echo client") {
  auto server = coreio::start_server(handle_echo_client, "127.0.0.1", 0);
  CHECK(server.is_serving());
  const auto port = port_of(server);
  CHECK(tcp_echo_client(port, "你好, asyncio 服务器!") == "你好, asyncio 服务器!");
  CHECK(tcp_echo_client(port, "这是第二条消息。") == "这是第二条消息。");
  server.close();
  server.wait_closed();
  CHECK_FALSE(server.is_serving());
}

COREIO_TEST_CASE("the one-shot seed handler echoes once and closes") {
  auto server = coreio::start_server(handle_echo, "127.0.0.1", 0);
  auto [reader, writer] = coreio::open_connection("127.0.0.1", port_of(server));
  writer.write("Hello World!");
  writer.drain();
  CHECK(reader.read(100) == "Hello World!");
  CHECK(reader.read() == ""); // the server closed
  writer.close();
}

COREIO_TEST_CASE("the seed client gets ConnectionRefusedError when no server listens") {
  std::uint16_t port = 0;
  {
    auto server = coreio::start_server(handle_echo, "127.0.0.1", 0);
    port = port_of(server);
    server.close();
    server.wait_closed();
  }
  CHECK_THROWS_AS(tcp_echo_client(port, "nobody home"), coreio::ConnectionRefusedError);
}

COREIO_TEST_CASE("serve_forever runs until the server is closed from another task") {
  std::atomic<int> served{0};
  auto server = coreio::start_server(
      [&](coreio::StreamReader& r, coreio::StreamWriter& w) {
        w.write(r.readline());
        served++;
      },
      "127.0.0.1", 0, {.start_serving = false});
  CHECK_FALSE(server.is_serving());
  auto forever = coreio::create_task([server]() mutable { server.serve_forever(); });
  coreio::sleep(5ms);
  CHECK(server.is_serving());
  CHECK_THROWS_AS(server.serve_forever(), coreio::RuntimeError);
  auto [r, w] = coreio::open_connection("127.0.0.1", port_of(server));
  w.write("line\n");
  CHECK(r.readline() == "line\n");
  w.close();
  server.close();
  forever.get();
  CHECK(served.load() == 1);
  CHECK_THROWS_AS(server.start_serving(), coreio::RuntimeError);
}

COREIO_TEST_CASE("cancelling serve_forever closes the server and raises CancelledError") {
  auto server = coreio::start_server(handle_echo, "127.0.0.1", 0);
  auto forever = coreio::create_task([server]() mutable { server.serve_forever(); });
  coreio::sleep(5ms);
  forever.cancel();
  forever.wait();
  CHECK(forever.cancelled());
  CHECK_FALSE(server.is_serving());
  CHECK(server.sockets().empty());
}

COREIO_TEST_CASE("close stops listening but wait_closed waits for open connections; close_clients ends them") {
  std::atomic<int> handlers_started{0}, handlers_done{0};
  auto server = coreio::start_server(
      [&](coreio::StreamReader& r, coreio::StreamWriter&) {
        handlers_started++;
        (void)r.read(); // until the connection closes
        handlers_done++;
      },
      "127.0.0.1", 0);
  const auto port = port_of(server);
  auto [r, w] = coreio::open_connection("127.0.0.1", port);
  w.write("x");
  w.drain();
  // Accepted, not just queued in the backlog (closing resets queued connections).
  REQUIRE(eventually([&] { return handlers_started.load() == 1; }));
  server.close();
  CHECK_THROWS_AS(coreio::open_connection("127.0.0.1", port), coreio::ConnectionRefusedError);
  auto waiter = coreio::create_task([server]() mutable { server.wait_closed(); });
  coreio::sleep(20ms);
  CHECK_FALSE(waiter.done()); // our connection is still open
  server.close_clients();
  waiter.get();
  CHECK(handlers_done.load() == 1);
  CHECK(r.read() == "");
}

COREIO_TEST_CASE("a handler that throws is reported, its connection closed, and the server keeps serving") {
  coreio::testing::CapturedErrors errors;
  auto server = coreio::start_server(
      [](coreio::StreamReader& r, coreio::StreamWriter& w) {
        std::string line = r.readline();
        if (line == "boom\n") throw std::runtime_error("handler failed");
        w.write(line);
      },
      "127.0.0.1", 0);
  const auto port = port_of(server);
  {
    auto [r, w] = coreio::open_connection("127.0.0.1", port);
    w.write("boom\n");
    CHECK(r.read() == ""); // closed by the server
  }
  REQUIRE(eventually([&] { return errors.count("Unhandled exception in client_connected_cb") == 1; }));
  auto [r, w] = coreio::open_connection("127.0.0.1", port);
  w.write("still here\n");
  CHECK(r.readline() == "still here\n");
  CHECK(server.is_serving());
}

COREIO_TEST_CASE("a connection reset by the peer raises ConnectionResetError in the handler") {
  std::atomic<int> resets{0};
  auto server = coreio::start_server(
      [&](coreio::StreamReader& r, coreio::StreamWriter& w) {
        CHECK(r.readexactly(5) == "hello");
        w.write("ack");
        w.drain();
        try {
          (void)r.read();
        } catch (const coreio::ConnectionResetError&) {
          resets++;
          CHECK_THROWS_AS(w.drain(), coreio::ConnectionResetError);
        }
      },
      "127.0.0.1", 0);
  asio::ip::tcp::socket s(coreio::detail::io_context_of(coreio::get_running_loop()));
  s.async_connect({asio::ip::make_address("127.0.0.1"), port_of(server)}, coreio::use_task);
  asio::async_write(s, asio::buffer("hello", 5), coreio::use_task);
  char ack[3];
  asio::async_read(s, asio::buffer(ack), coreio::use_task);
  s.set_option(asio::socket_base::linger(true, 0)); // close() sends RST
  s.close();
  REQUIRE(eventually([&] { return resets.load() == 1; }));
}

COREIO_TEST_CASE("a peer closing mid-read gives the handler IncompleteReadError with the partial data") {
  std::atomic<int> checked{0};
  auto server = coreio::start_server(
      [&](coreio::StreamReader& r, coreio::StreamWriter&) {
        try {
          (void)r.readexactly(10);
        } catch (const coreio::IncompleteReadError& e) {
          CHECK(e.partial() == "abc");
          CHECK(e.expected() == 10u);
          checked++;
        }
      },
      "127.0.0.1", 0);
  auto [r, w] = coreio::open_connection("127.0.0.1", port_of(server));
  w.write("abc");
  w.close();
  w.wait_closed();
  REQUIRE(eventually([&] { return checked.load() == 1; }));
}

COREIO_TEST_CASE("half-close: the client's write_eof ends the request and the server still answers") {
  auto server = coreio::start_server(
      [](coreio::StreamReader& r, coreio::StreamWriter& w) {
        std::string request = r.read(); // to EOF
        w.write("got " + std::to_string(request.size()) + " bytes");
        w.close();
      },
      "127.0.0.1", 0);
  auto [r, w] = coreio::open_connection("127.0.0.1", port_of(server));
  w.write(std::string(100000, 'r'));
  w.write_eof();
  CHECK(r.read() == "got 100000 bytes");
  CHECK(r.at_eof());
}

COREIO_TEST_CASE("a peer that never reads cannot hang the server: drain times out and others are served") {
  std::atomic<int> timeouts{0};
  auto server = coreio::start_server(
      [&](coreio::StreamReader& r, coreio::StreamWriter& w) {
        const std::string mode = r.readline();
        if (mode == "flood\n") {
          const std::string block(256 * 1024, 'f');
          for (;;) {
            w.write(block);
            try {
              w.drain(100ms);
            } catch (const coreio::TimeoutError&) {
              timeouts++;
              w.abort();
              return;
            }
          }
        }
        for (std::string line; !(line = r.readline()).empty();) w.write(line);
      },
      "127.0.0.1", 0);
  const auto port = port_of(server);
  auto [fr, fw] = coreio::open_connection("127.0.0.1", port);
  fw.write("flood\n"); // and never read
  auto [er, ew] = coreio::open_connection("127.0.0.1", port);
  ew.write("echo\n");
  for (int i = 0; i < 20; ++i) {
    ew.write("line " + std::to_string(i) + "\n");
    CHECK(er.readline() == "line " + std::to_string(i) + "\n");
  }
  REQUIRE(eventually([&] { return timeouts.load() == 1; }));
  ew.close();
  fw.abort();
}

COREIO_TEST_CASE("a line over the limit raises ValueError in the handler, which can go on reading") {
  auto server = coreio::start_server(
      [](coreio::StreamReader& r, coreio::StreamWriter& w) {
        for (;;) {
          try {
            std::string line = r.readline();
            if (line.empty()) return;
            w.write("ok " + line);
          } catch (const coreio::ValueError&) {
            w.write("too long\n");
          }
        }
      },
      "127.0.0.1", 0, {.limit = 32});
  auto [r, w] = coreio::open_connection("127.0.0.1", port_of(server));
  w.write("short\n" + std::string(100, 'L') + "\nafter\n");
  CHECK(r.readline() == "ok short\n");
  CHECK(r.readline() == "too long\n");
  CHECK(r.readline() == "ok after\n");
  w.close();
}

COREIO_TEST_CASE("when accept runs out of file descriptors the server reports it, backs off, and recovers") {
  coreio::testing::CapturedErrors errors;
  std::atomic<int> served{0};
  auto server = coreio::start_server(
      [&](coreio::StreamReader& r, coreio::StreamWriter&) {
        served++;
        (void)r.read();
      },
      "127.0.0.1", 0, {.backlog = 128, .accept_retry_delay = 20ms});
  const auto port = port_of(server);
  constexpr int clients = 24;
  int ready[2], release[2];
  REQUIRE(::pipe(ready) == 0);
  REQUIRE(::pipe(release) == 0);
  auto ready_reader = coreio::make_stream_reader(
      asio::posix::stream_descriptor(coreio::detail::io_context_of(coreio::get_running_loop()), ready[0]));

  // The error path runs once while descriptors are plentiful: sanitizer
  // runtimes open files on their slow paths (UBSan's dynamic type check reads
  // /proc/self/maps on a cache miss) and would fail inside the window below.
  try {
    coreio::detail::throw_os_error(boost::system::error_code(EMFILE, boost::system::system_category()), "warm-up");
  } catch (const coreio::OSError&) {
    // Expected: only the side effects of the first throw were wanted.
  }
  // Few free descriptors from here on: the server can accept a handful only.
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
  rlimit low = old;
  low.rlim_cur = static_cast<rlim_t>(open_fd_count() + 6);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);

  // The clients live in a child process, so they use none of our descriptors.
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(release[1]);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::setrlimit(RLIMIT_NOFILE, &old);
    for (int i = 0; i < clients; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) ::_exit(2);
    }
    (void)!::write(ready[1], "r", 1);
    char c;
    (void)!::read(release[0], &c, 1); // until the parent closes its end
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(release[0]);
  REQUIRE(pid > 0);
  CHECK(ready_reader.read(1) == "r");
  coreio::sleep(200ms);
  const std::size_t reported = errors.count("socket.accept() out of system resource");
  const int served_low = served.load();
  ::setrlimit(RLIMIT_NOFILE, &old);
  CHECK(reported >= 1);
  // 200 ms at a 20 ms back-off per accept loop: bounded, not a spin.
  CHECK(reported <= 40);
  CHECK(served_low < clients);
  CHECK(server.is_serving());
  // With descriptors back, the backlog drains: every client gets served.
  CHECK(eventually([&] { return served.load() == clients; }));
  ::close(release[1]);
  int status = 0;
  CHECK(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

COREIO_TEST_CASE("connections of one server spread over every loop and each gets its bytes back exactly") {
  const std::size_t connections = coreio::testing::net_scale(1000);
  constexpr int rounds = 4;
  std::mutex mu;
  std::set<std::size_t> loops_used;
  auto server = coreio::start_server(
      [&](coreio::StreamReader& r, coreio::StreamWriter& w) {
        {
          std::lock_guard g(mu);
          loops_used.insert(coreio::get_running_loop().index());
        }
        for (std::string data; !(data = r.read(65536)).empty();) {
          w.write(data);
          w.drain();
        }
      },
      "127.0.0.1", 0, {.backlog = 1024});
  const auto port = port_of(server);
  std::vector<coreio::Task<std::size_t>> clients;
  for (std::size_t c = 0; c < connections; ++c)
    clients.push_back(coreio::create_task([port, c] {
      auto [r, w] = coreio::open_connection("127.0.0.1", port);
      std::size_t bytes = 0;
      for (int i = 0; i < rounds; ++i) {
        // Every byte depends on the connection and the round.
        std::string msg(64 + (c * 7 + static_cast<std::size_t>(i) * 13) % 200, '\0');
        for (std::size_t k = 0; k < msg.size(); ++k) msg[k] = static_cast<char>((c * 31 + i * 17 + k) & 0xff);
        w.write(msg);
        w.drain();
        const std::string back = r.readexactly(msg.size());
        REQUIRE(back == msg);
        bytes += back.size();
      }
      w.close();
      w.wait_closed();
      return bytes;
    }));
  std::size_t total = 0;
  for (auto& t : clients) total += t.get();
  std::size_t expected = 0;
  for (std::size_t c = 0; c < connections; ++c)
    for (int i = 0; i < rounds; ++i) expected += 64 + (c * 7 + static_cast<std::size_t>(i) * 13) % 200;
  CHECK(total == expected);
  server.close();
  server.wait_closed();
  const auto& rt = coreio::get_running_loop().runtime();
  std::lock_guard g(mu);
  // A handler starts on its socket's loop; with stealing it may be stolen
  // before it first runs, so only shared-nothing loops pin down where it runs.
  if (rt.num_loops() > 1 && connections >= 100 && !rt.config().stealing) CHECK(loops_used.size() == rt.num_loops());
}

COREIO_TEST_CASE("round_robin accept mode hands connections to every loop in turn") {
  std::mutex mu;
  std::vector<std::size_t> loops;
  auto server = coreio::start_server(
      [&](coreio::StreamReader& r, coreio::StreamWriter& w) {
        {
          std::lock_guard g(mu);
          loops.push_back(coreio::get_running_loop().index());
        }
        w.write(r.readline());
      },
      "127.0.0.1", 0, {.accept_mode = coreio::AcceptMode::round_robin});
  CHECK(server.sockets().size() == 1);
  const auto n = coreio::get_running_loop().runtime().num_loops();
  for (std::size_t i = 0; i < 2 * n; ++i) {
    auto [r, w] = coreio::open_connection("127.0.0.1", port_of(server));
    w.write("hi\n");
    CHECK(r.readline() == "hi\n");
  }
  std::lock_guard g(mu);
  if (!coreio::get_running_loop().runtime().config().stealing) // else a handler may be stolen before it runs
    CHECK(std::set<std::size_t>(loops.begin(), loops.end()).size() == n);
}

COREIO_TEST_CASE("binding a port in use raises OSError, and an empty host listens on every interface") {
  auto server = coreio::start_server(handle_echo, "127.0.0.1", 0);
  CHECK_THROWS_AS(coreio::start_server(handle_echo, "127.0.0.1", port_of(server), {.reuse_address = false}),
                  coreio::OSError);
  auto any = coreio::start_server(handle_echo, "", 0, {.family = AF_INET});
  CHECK(any.sockets().at(0).host == "0.0.0.0");
  auto [r, w] = coreio::open_connection("127.0.0.1", port_of(any));
  w.write("x");
  CHECK(r.read(1) == "x");
}

} // TEST_SUITE
