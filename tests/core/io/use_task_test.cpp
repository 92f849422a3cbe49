#include "coreio/use_task.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "coreio/coreio.hpp"
#include "coreio/detail/asio_loop.hpp"
#include "coreio_test.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {
asio::io_context& here() { return coreio::detail::io_context_of(coreio::get_running_loop()); }
} // namespace

TEST_SUITE("use_task") {

COREIO_TEST_CASE("a task awaits a raw steady_timer and resumes after it expires") {
  asio::steady_timer timer(here(), 20ms);
  const auto t0 = std::chrono::steady_clock::now();
  timer.async_wait(coreio::use_task);
  CHECK(std::chrono::steady_clock::now() - t0 >= 20ms);
}

COREIO_TEST_CASE("many tasks await their own timers concurrently") {
  std::vector<coreio::Task<int>> tasks;
  for (int i = 0; i < 50; ++i)
    tasks.push_back(coreio::create_task([i] {
      asio::steady_timer timer(here(), std::chrono::milliseconds(i % 7));
      timer.async_wait(coreio::use_task);
      return i;
    }));
  int sum = 0;
  for (auto& t : tasks) sum += t.get();
  CHECK(sum == 50 * 49 / 2);
}

COREIO_TEST_CASE("cancelling a task blocked on a timer cancels the timer and raises CancelledError") {
  std::atomic<bool> reached_end{false};
  auto task = coreio::create_task([&] {
    asio::steady_timer timer(here(), 1h);
    timer.async_wait(coreio::use_task);
    reached_end = true;
  });
  coreio::sleep(10ms);
  const auto t0 = std::chrono::steady_clock::now();
  task.cancel("stop");
  task.wait();
  CHECK(task.cancelled());
  CHECK_FALSE(reached_end.load());
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  try {
    task.result();
    FAIL("expected CancelledError");
  } catch (const coreio::CancelledError& e) {
    CHECK(e.message() == "stop");
  }
}

COREIO_TEST_CASE("a task that catches the cancellation can keep awaiting operations") {
  auto task = coreio::create_task([] {
    asio::steady_timer timer(here(), 1h);
    try {
      timer.async_wait(coreio::use_task);
    } catch (const coreio::CancelledError&) {
      asio::steady_timer again(here(), 5ms);
      again.async_wait(coreio::use_task);
      return 7;
    }
    return 0;
  });
  coreio::sleep(5ms);
  task.cancel();
  CHECK(task.get() == 7);
}

COREIO_TEST_CASE("a pending cancellation raises before the operation starts") {
  auto task = coreio::create_task([] {
    coreio::current_task().cancel();
    asio::steady_timer timer(here(), 1h);
    timer.async_wait(coreio::use_task);
  });
  task.wait();
  CHECK(task.cancelled());
}

COREIO_TEST_CASE("errors are thrown as system_error, and use_task_ec returns them") {
  asio::steady_timer timer(here(), 1h);
  // Cancel from a callback on the timer's loop: the wait ends with operation_aborted.
  auto& loop = coreio::get_running_loop();
  loop.call_later(5ms, [&] { timer.cancel(); });
  auto [ec] = timer.async_wait(coreio::use_task_ec);
  CHECK(ec == asio::error::operation_aborted);

  asio::ip::tcp::socket sock(here());
  char buf[4];
  CHECK_THROWS_AS(sock.async_read_some(asio::buffer(buf), coreio::use_task), boost::system::system_error);
}

COREIO_TEST_CASE("an object of another loop is driven on its own loop thread") {
  auto& rt = coreio::get_running_loop().runtime();
  auto& other = rt.loop(rt.num_loops() - 1);
  asio::steady_timer timer(coreio::detail::io_context_of(other), 5ms);
  timer.async_wait(coreio::use_task);
  // And a cancellation posted across loops reaches it.
  asio::steady_timer long_timer(coreio::detail::io_context_of(other), 1h);
  auto task = coreio::create_task([&] { long_timer.async_wait(coreio::use_task); });
  coreio::sleep(5ms);
  task.cancel();
  task.wait();
  CHECK(task.cancelled());
}

COREIO_TEST_CASE("a socket round trip with use_task and asio::async_write") {
  using asio::ip::tcp;
  tcp::acceptor acc(here(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto ep = acc.local_endpoint();
  auto server = coreio::create_task([&] {
    tcp::socket s = acc.async_accept(coreio::use_task);
    char buf[5];
    asio::async_read(s, asio::buffer(buf), coreio::use_task);
    asio::async_write(s, asio::buffer(buf), coreio::use_task);
  });
  tcp::socket c(here());
  c.async_connect(ep, coreio::use_task);
  asio::async_write(c, asio::buffer("hello", 5), coreio::use_task);
  char back[5];
  const std::size_t n = asio::async_read(c, asio::buffer(back), coreio::use_task);
  CHECK(n == 5);
  CHECK(std::string(back, 5) == "hello");
  server.get();
}

COREIO_TEST_CASE("use_task_for cancels an operation that outlasts its deadline with TimeoutError") {
  asio::steady_timer slow(here(), 1h);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(slow.async_wait(coreio::use_task_for(20ms)), coreio::TimeoutError);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= 20ms);
  CHECK(took < 5s);
  // An operation that finishes in time returns normally, and the task goes on.
  asio::steady_timer quick(here(), 1ms);
  quick.async_wait(coreio::use_task_for(10s));
  // use_task_ec returns errors as values, but its own timeout still raises.
  CHECK_THROWS_AS(slow.async_wait(boost::asio::as_tuple(coreio::use_task_until(std::chrono::steady_clock::now()))),
                  coreio::TimeoutError);
}

TEST_CASE("a plain OS thread blocks in use_task until the loop completes the operation") {
  coreio::Runtime rt({.loops = 1});
  asio::steady_timer timer(coreio::detail::io_context_of(rt.loop(0)), 10ms);
  const auto t0 = std::chrono::steady_clock::now();
  timer.async_wait(coreio::use_task);
  CHECK(std::chrono::steady_clock::now() - t0 >= 10ms);
}

} // TEST_SUITE
