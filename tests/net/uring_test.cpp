// The io_uring read path (core/src/io/uring.hpp; net's UringRead): taken when the
// kernel has it, not taken when it is turned off, and the places where it must
// behave like Asio's reactor although the kernel treats it differently: a
// close while a read waits in the ring (the ring holds its own reference to
// the socket), cancellation, and a runtime closing with reads in flight.
// The rest of net_tests runs on this path too; ctest also runs the whole
// binary once with COREIO_IO_URING=0 (tests/CMakeLists.txt).
#include "coreio/detail/uring.hpp"

#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "coreio/coreio.hpp"
#include "coreio/detail/asio_loop.hpp"
#include "coreio/net/net.hpp"
#include "coreio_test.hpp"
#include "net_test_util.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct Ends {
  coreio::StreamReader ra;
  coreio::StreamWriter wa;
  coreio::StreamReader rb;
  coreio::StreamWriter wb;
};

Ends socket_pair() {
  asio::io_context& io = coreio::detail::io_context_of(coreio::get_running_loop());
  asio::local::stream_protocol::socket a(io), b(io);
  asio::local::connect_pair(a, b);
  auto [ra, wa] = coreio::make_stream_pair(std::move(a));
  auto [rb, wb] = coreio::make_stream_pair(std::move(b));
  return {std::move(ra), std::move(wa), std::move(rb), std::move(wb)};
}

/// Whether this kernel sets up a ring the way the loops ask for one.
bool kernel_has_uring() {
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  const long fd = ::syscall(__NR_io_uring_setup, 8, &p);
  if (fd < 0) return false;
  ::close(static_cast<int>(fd));
  return (p.features & IORING_FEAT_FAST_POLL) != 0;
}

struct RingUse {
  std::uint64_t completions = 0;
  std::size_t loops_with_ring = 0;
};

RingUse ring_use() {
  RingUse u;
  for (const auto& l : coreio::get_running_loop().runtime().metrics().loops) {
    u.completions += l.uring_completions;
    u.loops_with_ring += l.uring_submits > 0 || l.uring_completions > 0;
  }
  return u;
}

/// 200 round trips over a TCP connection to an echo server.
void echo_round_trips() {
  auto server = coreio::start_server(
      [](coreio::StreamReader& r, coreio::StreamWriter& w) {
        for (std::string d = r.read(1024); !d.empty(); d = r.read(1024)) {
          w.write(d);
          w.drain();
        }
      },
      "127.0.0.1", 0);
  auto [r, w] = coreio::open_connection("127.0.0.1", coreio::testing::port_of(server));
  for (int i = 0; i < 200; ++i) {
    const std::string msg = "message " + std::to_string(i) + "\n";
    w.write(msg);
    w.drain();
    REQUIRE(r.readexactly(msg.size()) == msg);
  }
  w.close();
  w.wait_closed();
  server.close();
  server.wait_closed();
}

} // namespace

TEST_SUITE("io_uring socket reads") {

TEST_CASE("socket reads go through the loops' io_uring where the kernel has it, and not when it is turned off") {
  const bool supported = kernel_has_uring() && [] {
    const char* env = std::getenv("COREIO_IO_URING");
    return !(env && std::string(env) == "0");
  }();
  INFO("kernel (and environment) allow io_uring: ", supported);
  RingUse on, off;
  coreio::run(
      [&] {
        echo_round_trips();
        on = ring_use();
      },
      {.loops = 2, .io_uring = true});
  coreio::run(
      [&] {
        echo_round_trips();
        off = ring_use();
      },
      {.loops = 2, .io_uring = false});
  CHECK(off.completions == 0);
  if (supported) {
    // Server and client reads: at least one per round trip on each side.
    CHECK(on.completions >= 400);
  } else {
    CHECK(on.completions == 0);
  }
}

COREIO_TEST_CASE("closing a stream while its own reader waits in the ring ends that read with EOF and the peer sees EOF") {
  auto e = socket_pair();
  auto reader = coreio::create_task([r = e.rb]() mutable { return r.read(100); });
  coreio::sleep(5ms); // the read is now waiting (in the ring where there is one)
  e.wb.close();       // the ring's reference must not keep the socket open
  CHECK(coreio::wait_for(reader, 10s) == "");
  CHECK(coreio::wait_for(coreio::create_task([r = e.ra]() mutable { return r.read(100); }), 10s) == "");
}

COREIO_TEST_CASE("a read cancelled in the ring ends promptly, and reads cancelled again and again lose no byte") {
  auto e = socket_pair();
  std::string got; // appended by one reader task at a time
  for (int i = 0; i < 50; ++i) {
    // A read that completes although it was cancelled keeps its bytes (the
    // task then ends cancelled, asyncio's cancel-at-end), so they are kept here.
    auto reader = coreio::create_task([r = e.rb, &got]() mutable { got += r.read(100); });
    if (i % 2) coreio::yield_now(); // cancel before and after the read reached the ring
    else coreio::sleep(1ms);
    e.wa.write(std::string(1, static_cast<char>('a' + i % 26)));
    reader.cancel();
    reader.wait();
  }
  e.wa.close();
  for (std::string d = e.rb.read(100); !d.empty(); d = e.rb.read(100)) got += d;
  std::string want;
  for (int i = 0; i < 50; ++i) want += static_cast<char>('a' + i % 26);
  CHECK(got == want);
}

TEST_CASE("a runtime closing while reads wait in the ring ends them and returns") {
  for (const auto& shape : coreio::testing::shapes()) {
    INFO("runtime shape: ", shape.label);
    std::atomic<int> started{0};
    coreio::run(
        [&] {
          std::vector<Ends> pairs;
          for (int i = 0; i < 4; ++i) {
            pairs.push_back(socket_pair());
            for (coreio::StreamReader r : {pairs.back().ra, pairs.back().rb})
              coreio::create_task([r, &started]() mutable {
                ++started;
                r.read(100); // never answered: still waiting when run() ends
              });
          }
          coreio::testing::until([&] { return started.load() == 8; });
          coreio::sleep(5ms);
        },
        shape.config);
    CHECK(started.load() == 8);
  }
}

} // TEST_SUITE
