#include "coreio/net/streams.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <unistd.h>

#include "coreio/coreio.hpp"
#include "coreio/detail/asio_loop.hpp"
#include "coreio_test.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

asio::io_context& here() { return coreio::detail::io_context_of(coreio::get_running_loop()); }

struct Ends {
  coreio::StreamReader ra;
  coreio::StreamWriter wa;
  coreio::StreamReader rb;
  coreio::StreamWriter wb;
};

/// Two connected stream pairs over a Unix socketpair on the calling task's loop.
Ends socket_pair(coreio::StreamOptions opts = {}) {
  asio::local::stream_protocol::socket a(here()), b(here());
  asio::local::connect_pair(a, b);
  auto [ra, wa] = coreio::make_stream_pair(std::move(a), opts);
  auto [rb, wb] = coreio::make_stream_pair(std::move(b), opts);
  return {std::move(ra), std::move(wa), std::move(rb), std::move(wb)};
}

} // namespace

TEST_SUITE("StreamReader and StreamWriter") {

COREIO_TEST_CASE("a fed reader returns lines, exact reads and then EOF") {
  coreio::StreamReader r;
  r.feed_data("hello\nworld\nrest");
  r.feed_eof();
  CHECK(r.readline() == "hello\n");
  CHECK(r.readexactly(3) == "wor");
  CHECK(r.readuntil("\n") == "ld\n");
  CHECK_FALSE(r.at_eof());
  CHECK(r.read() == "rest");
  CHECK(r.at_eof());
  CHECK(r.read() == "");
  CHECK(r.readline() == "");
}

COREIO_TEST_CASE("a fed reader wakes a task blocked in read when data is fed from another task") {
  coreio::StreamReader r;
  auto reader = coreio::create_task([r]() mutable { return r.readexactly(6); });
  coreio::sleep(5ms);
  r.feed_data("abc");
  coreio::sleep(1ms);
  r.feed_data("def");
  CHECK(reader.get() == "abcdef");
}

COREIO_TEST_CASE("bytes cross a socket pair in both directions") {
  auto e = socket_pair();
  e.wa.write("ping\n");
  e.wa.drain();
  CHECK(e.rb.readline() == "ping\n");
  e.wb.writelines(std::vector<std::string>{"po", "ng", "\n"});
  e.wb.drain();
  CHECK(e.ra.readline() == "pong\n");
}

COREIO_TEST_CASE("read(n) returns what is available up to n, read() reads to EOF") {
  auto e = socket_pair();
  e.wa.write("0123456789");
  e.wa.drain();
  std::string got = e.rb.read(4);
  CHECK(!got.empty());
  CHECK(got.size() <= 4);
  e.wa.write("abc");
  e.wa.close();
  e.wa.wait_closed();
  got += e.rb.read();
  CHECK(got == "0123456789abc");
  CHECK(e.rb.at_eof());
  CHECK(e.rb.read(10) == "");
}

COREIO_TEST_CASE("readexactly raises IncompleteReadError with the partial data at EOF") {
  auto e = socket_pair();
  e.wa.write("short");
  e.wa.close();
  try {
    (void)e.rb.readexactly(10);
    FAIL("expected IncompleteReadError");
  } catch (const coreio::IncompleteReadError& err) {
    CHECK(err.partial() == "short");
    CHECK(err.expected() == 10u);
  }
  CHECK(e.rb.at_eof());
}

COREIO_TEST_CASE("readuntil past the limit raises LimitOverrunError and keeps the data") {
  auto e = socket_pair({.limit = 16});
  e.wa.write(std::string(40, 'x'));
  e.wa.write("\n");
  e.wa.drain();
  try {
    (void)e.rb.readuntil("\n");
    FAIL("expected LimitOverrunError");
  } catch (const coreio::LimitOverrunError& err) {
    CHECK(err.consumed() > 0);
  }
  // The data is still there: a reader can consume it by other means.
  CHECK(e.rb.readexactly(41) == std::string(40, 'x') + "\n");
}

COREIO_TEST_CASE("a line over the limit makes readline raise ValueError and drops that line") {
  auto e = socket_pair({.limit = 8});
  e.wa.write("this line is far too long\nok\n");
  e.wa.drain();
  CHECK_THROWS_AS(e.rb.readline(), coreio::ValueError);
  CHECK(e.rb.readline() == "ok\n");
}

COREIO_TEST_CASE("readuntil with several separators stops at the match that ends first") {
  coreio::StreamReader r;
  r.feed_data("key=value;next\r\n");
  r.feed_eof();
  CHECK(r.readuntil({"\r\n", ";"}) == "key=value;");
  CHECK(r.readuntil({"\r\n", ";"}) == "next\r\n");
  CHECK_THROWS_AS(r.readuntil(""), coreio::ValueError);
}

COREIO_TEST_CASE("lines() iterates until EOF, like async for line in reader") {
  coreio::StreamReader r;
  r.feed_data("a\nb\nc");
  r.feed_eof();
  std::vector<std::string> lines;
  for (const std::string& l : r.lines()) lines.push_back(l);
  CHECK(lines == std::vector<std::string>{"a\n", "b\n", "c"});
}

COREIO_TEST_CASE("a second task reading at the same time gets RuntimeError") {
  coreio::StreamReader r;
  auto first = coreio::create_task([r]() mutable { return r.read(10); });
  coreio::sleep(5ms);
  CHECK_THROWS_AS(r.read(10), coreio::RuntimeError);
  r.feed_data("x");
  CHECK(first.get() == "x");
}

COREIO_TEST_CASE("a cancelled read raises CancelledError and later reads still see the data") {
  auto e = socket_pair();
  auto reader = coreio::create_task([r = e.rb]() mutable { return r.read(100); });
  coreio::sleep(5ms);
  reader.cancel();
  reader.wait();
  CHECK(reader.cancelled());
  e.wa.write("after");
  e.wa.drain();
  CHECK(e.rb.readexactly(5) == "after");
}

COREIO_TEST_CASE("set_exception makes the next read raise it") {
  coreio::StreamReader r;
  auto blocked = coreio::create_task([r]() mutable { return r.read(); });
  coreio::sleep(5ms);
  r.set_exception(std::make_exception_ptr(coreio::RuntimeError("boom")));
  CHECK_THROWS_AS(blocked.get(), coreio::RuntimeError);
  CHECK(r.exception() != nullptr);
}

COREIO_TEST_CASE("drain suspends a writer that outruns its peer until the peer reads") {
  auto e = socket_pair({.write_high_water = 64 * 1024});
  const std::string block(256 * 1024, 'q');
  std::atomic<bool> drained{false};
  auto writer = coreio::create_task([&, w = e.wa]() mutable {
    for (int i = 0; i < 8; ++i) w.write(block); // 2 MiB: far more than the socket buffers
    w.drain();
    drained = true;
  });
  coreio::sleep(20ms);
  CHECK_FALSE(drained.load());
  CHECK(e.wa.get_write_buffer_size() > 64 * 1024);
  std::string all = e.rb.readexactly(8 * block.size());
  writer.get();
  CHECK(drained.load());
  CHECK(all.size() == 8 * block.size());
  CHECK(all.find_first_not_of('q') == std::string::npos);
}

COREIO_TEST_CASE("drain with a timeout raises TimeoutError when the peer never reads") {
  auto e = socket_pair();
  for (int i = 0; i < 16; ++i) e.wa.write(std::string(256 * 1024, 'z'));
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(e.wa.drain(30ms), coreio::TimeoutError);
  CHECK(std::chrono::steady_clock::now() - t0 >= 30ms);
  // abort() gives up on the queue and closes at once.
  e.wa.abort();
  e.wa.wait_closed();
  CHECK(e.wa.is_closing());
}

COREIO_TEST_CASE("close flushes what is queued before the peer sees EOF") {
  auto e = socket_pair();
  const std::string big(1024 * 1024, 'b');
  e.wa.write(big);
  e.wa.close();
  CHECK(e.wa.is_closing());
  CHECK(e.rb.read() == big);
  e.wa.wait_closed();
}

COREIO_TEST_CASE("write_eof half-closes: the peer reads EOF and can still answer") {
  auto e = socket_pair();
  CHECK(e.wa.can_write_eof());
  e.wa.write("question");
  e.wa.write_eof();
  CHECK_THROWS_AS(e.wa.write("more"), coreio::RuntimeError);
  CHECK(e.rb.read() == "question");
  e.wb.write("answer");
  e.wb.close();
  CHECK(e.ra.read() == "answer");
}

COREIO_TEST_CASE("writes from tasks on other loops arrive intact and in order per task") {
  auto e = socket_pair();
  constexpr int per_task = 200;
  std::vector<coreio::Task<void>> tasks;
  for (int t = 0; t < 4; ++t)
    tasks.push_back(coreio::create_task([w = e.wa, t]() mutable {
      for (int i = 0; i < per_task; ++i) {
        w.write(std::string(1, static_cast<char>('a' + t)) + std::to_string(i) + "\n");
        if (i % 50 == 0) coreio::yield_now();
      }
      w.drain();
    }));
  for (auto& t : tasks) t.get();
  e.wa.close();
  std::vector<int> next(4, 0);
  for (const std::string& line : e.rb.lines()) {
    const int t = line[0] - 'a';
    REQUIRE(t >= 0);
    REQUIRE(t < 4);
    CHECK(std::stoi(line.substr(1)) == next[t]);
    ++next[t];
  }
  CHECK(next == std::vector<int>(4, per_task));
}

COREIO_TEST_CASE("a reader over a pipe descriptor reads what the write end sent") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  auto reader = coreio::make_stream_reader(asio::posix::stream_descriptor(here(), fds[0]));
  auto writer = coreio::make_stream_writer(asio::posix::stream_descriptor(here(), fds[1]));
  writer.write("through the pipe\n");
  writer.write_eof(); // closes the write end
  CHECK(reader.readline() == "through the pipe\n");
  CHECK(reader.read() == "");
  CHECK(reader.at_eof());
}

COREIO_TEST_CASE("get_extra_info reports the socket and a default for unknown keys") {
  auto e = socket_pair();
  CHECK(std::any_cast<int>(e.wa.get_extra_info("socket")) >= 0);
  CHECK(std::any_cast<int>(e.wa.get_extra_info("no such key", 42)) == 42);
  CHECK_FALSE(e.wa.get_extra_info("ssl_object").has_value());
}

} // TEST_SUITE

namespace {

/// What readuntil(separators) on a reader with `limit` makes of `chunks` fed
/// one at a time by another task (the reader waits in between): the data
/// returned, or the exception's kind.
std::string readuntil_outcome(std::size_t limit, const std::vector<std::string>& chunks,
                              const std::vector<std::string>& separators) {
  coreio::StreamReader r({.limit = limit});
  auto feeder = coreio::get_running_loop().create_task([&] {
    for (const auto& c : chunks) {
      r.feed_data(c);
      coreio::yield_now();
    }
    r.feed_eof();
  });
  std::string out;
  try {
    out = "data:" + (separators.size() == 1 ? r.readuntil(separators[0]) : r.readuntil({separators[0], separators[1]}));
  } catch (const coreio::LimitOverrunError&) {
    out = "LimitOverrunError";
  } catch (const coreio::IncompleteReadError&) {
    out = "IncompleteReadError";
  }
  feeder.get();
  return out;
}

/// Every split of `data` into two or three chunks.
std::vector<std::vector<std::string>> chunkings(const std::string& data) {
  std::vector<std::vector<std::string>> out{{data}};
  for (std::size_t i = 1; i < data.size(); ++i) {
    out.push_back({data.substr(0, i), data.substr(i)});
    for (std::size_t j = i + 1; j < data.size(); ++j)
      out.push_back({data.substr(0, i), data.substr(i, j - i), data.substr(j)});
  }
  return out;
}

} // namespace

COREIO_TEST_CASE("readuntil's outcome does not depend on how the bytes were chunked (asyncio's limit check)") {
  struct Case {
    std::size_t limit;
    std::string data;
    std::vector<std::string> seps; // one or two
    std::string expected;
  };
  const std::vector<Case> cases = {
      // The separator starts at the limit: it fits (match_start == limit).
      {10, "0123456789\r\n", {"\r\n"}, "data:0123456789\r\n"},
      {10, "0123456789\n", {"\n"}, "data:0123456789\n"},
      {10, "0123456789ab\r\n", {"\r\n"}, "LimitOverrunError"},
      {10, "0123456789abcd", {"\r\n"}, "LimitOverrunError"},
      {10, "0123\r\n", {"\r\n", "--END--"}, "data:0123\r\n"},
      {10, "012345678--END--", {"\r\n", "--END--"}, "data:012345678--END--"},
      {10, "0123456789ab--END--", {"\r\n", "--END--"}, "LimitOverrunError"},
      {19, "0123456789ab--END--", {"\r\n", "--END--"}, "data:0123456789ab--END--"},
      {10, "0123", {"\r\n"}, "IncompleteReadError"},
  };
  for (const Case& c : cases) {
    for (const auto& chunks : chunkings(c.data)) {
      std::string split;
      for (const auto& ch : chunks) split += "[" + ch + "]";
      INFO("limit ", c.limit, ", chunks ", split);
      CHECK(readuntil_outcome(c.limit, chunks, c.seps) == c.expected);
    }
  }
}

COREIO_TEST_CASE("readuntil: of two matches ending together the shorter separator wins (asyncio 3.13)") {
  // "\r\n" starts at 10 and "\n" at 11; both end at 12. asyncio 3.13 takes the
  // shorter one, whose start is past the limit: LimitOverrunError(consumed=11).
  for (auto seps : {std::initializer_list<std::string_view>{"\r\n", "\n"}, {"\n", "\r\n"}}) {
    coreio::StreamReader r({.limit = 10});
    r.feed_data("0123456789\r\n");
    try {
      (void)r.readuntil(seps);
      FAIL("expected LimitOverrunError");
    } catch (const coreio::LimitOverrunError& e) {
      CHECK(e.consumed() == 11);
    }
  }
  coreio::StreamReader r({.limit = 11});
  r.feed_data("0123456789\r\n");
  CHECK(r.readuntil({"\r\n", "\n"}) == "0123456789\r\n");
}
