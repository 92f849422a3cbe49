#include "coreio/loop.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

using namespace std::chrono_literals;

TEST_SUITE("Loop") {

COREIO_TEST_CASE("call_soon callbacks of one loop run in FIFO order on that loop") {
  auto& loop = coreio::get_running_loop();
  auto order = std::make_shared<std::vector<int>>();
  coreio::Future<> done = loop.create_future();
  for (int i = 0; i < 100; ++i)
    loop.call_soon([&loop, order, i] {
      CHECK(&coreio::get_running_loop() == &loop);
      order->push_back(i);
    });
  loop.call_soon([done]() mutable { done.set_result(); });
  done.get();
  REQUIRE(order->size() == 100);
  for (int i = 0; i < 100; ++i) CHECK((*order)[i] == i);
}

COREIO_TEST_CASE("a cancelled handle does not run") {
  auto& loop = coreio::get_running_loop();
  std::atomic<int> ran{0};
  auto h = loop.call_soon([&] { ran++; });
  h.cancel();
  CHECK(h.cancelled());
  coreio::Future<> done = loop.create_future();
  loop.call_soon([done]() mutable { done.set_result(); });
  done.get();
  CHECK(ran.load() == 0);
}

COREIO_TEST_CASE("call_later fires after its delay; call_at timers fire in time order") {
  auto& loop = coreio::get_running_loop();
  auto order = std::make_shared<std::vector<int>>();
  auto mu = std::make_shared<std::mutex>();
  coreio::Future<> done = loop.create_future();
  const auto t0 = loop.time();
  loop.call_later(30ms, [=] { std::lock_guard g(*mu); order->push_back(3); });
  loop.call_later(10ms, [=] { std::lock_guard g(*mu); order->push_back(1); });
  auto th = loop.call_at(t0 + 20ms, [=] { std::lock_guard g(*mu); order->push_back(2); });
  CHECK(th.when() == t0 + 20ms);
  loop.call_later(40ms, [done]() mutable { done.set_result(); });
  done.get();
  CHECK(loop.time() - t0 >= 40ms);
  std::lock_guard g(*mu);
  CHECK(*order == std::vector<int>{1, 2, 3});
}

COREIO_TEST_CASE("a cancelled timer never fires") {
  auto& loop = coreio::get_running_loop();
  std::atomic<int> ran{0};
  auto h = loop.call_later(5ms, [&] { ran++; });
  h.cancel();
  coreio::sleep(30ms);
  CHECK(ran.load() == 0);
}

COREIO_TEST_CASE("many cancelled timers are compacted and the live ones still fire") {
  auto& loop = coreio::get_running_loop();
  std::atomic<int> ran{0};
  std::vector<coreio::TimerHandle> hs;
  for (int i = 0; i < 1000; ++i) hs.push_back(loop.call_later(50ms + i * 1us, [&] { ran++; }));
  for (int i = 0; i < 1000; i += 2) hs[i].cancel();
  coreio::sleep(120ms);
  CHECK(ran.load() == 500);
}

COREIO_TEST_CASE("call_soon_threadsafe from foreign threads reaches the loop") {
  auto& loop = coreio::get_running_loop();
  std::atomic<int> count{0};
  coreio::Future<> done = loop.create_future();
  constexpr int per_thread = 2000;
  std::vector<std::thread> ths;
  for (int t = 0; t < 4; ++t)
    ths.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i)
        loop.call_soon_threadsafe([&, done]() mutable {
          if (count.fetch_add(1) + 1 == 4 * per_thread) done.set_result();
        });
    });
  for (auto& th : ths) th.join();
  done.get();
  CHECK(count.load() == 4 * per_thread);
}

COREIO_TEST_CASE("an exception in a callback goes to the exception handler and the loop keeps running") {
  auto& loop = coreio::get_running_loop();
  coreio::Future<std::string> seen = loop.create_future<std::string>();
  loop.set_exception_handler([seen](coreio::Loop&, const coreio::ExceptionContext& ctx) mutable {
    try {
      std::rethrow_exception(ctx.exception);
    } catch (const std::exception& e) {
      if (!seen.done()) seen.set_result(ctx.message + ": " + e.what());
    }
  });
  loop.call_soon([] { throw std::runtime_error("cb failed"); });
  CHECK(seen.get() == "Exception in callback: cb failed");
  loop.set_exception_handler(nullptr);
  coreio::sleep(1ms); // still alive
}

COREIO_TEST_CASE("get_running_loop is the loop of the running task; outside a runtime it throws") {
  CHECK(coreio::get_running_loop().index() < coreio::get_running_loop().runtime().num_loops());
  std::thread th([] { CHECK_THROWS_AS((void)coreio::get_running_loop(), coreio::RuntimeError); });
  th.join();
}

COREIO_TEST_CASE("closing a running loop is refused") {
  CHECK_THROWS_AS(coreio::get_running_loop().close(), coreio::RuntimeError);
  CHECK(coreio::get_running_loop().is_running());
  CHECK_FALSE(coreio::get_running_loop().is_closed());
}

COREIO_TEST_CASE("run_until_complete from a task is refused") {
  coreio::Future<int> f;
  CHECK_THROWS_AS(coreio::get_running_loop().run_until_complete(f), coreio::RuntimeError);
}

} // TEST_SUITE

TEST_SUITE("Loop (driven from a plain thread)") {

TEST_CASE("run_until_complete returns the result; stop() ends run_forever") {
  coreio::Runtime rt({.loops = 2});
  auto& loop = rt.loop(0);
  auto t = loop.create_task([] {
    coreio::sleep(5ms);
    return 5;
  });
  CHECK(loop.run_until_complete(t) == 5);
  loop.call_later(10ms, [&loop] { loop.stop(); });
  loop.run_forever(); // returns because of stop()
  auto never = loop.create_future<int>();
  loop.call_later(5ms, [&loop] { loop.stop(); });
  CHECK_THROWS_WITH_AS(loop.run_until_complete(never), "Event loop stopped before Future completed.",
                       coreio::RuntimeError);
  never.cancel();
}

TEST_CASE("stop() before run_forever() makes the next run_forever() return") {
  coreio::Runtime rt({.loops = 1});
  auto& loop = rt.loop(0);
  loop.stop();
  loop.run_forever(); // would block forever if the early stop() were lost
  CHECK(loop.is_running());
  // The pending stop was consumed: a later run_forever() waits for its own stop().
  loop.call_later(std::chrono::milliseconds(20), [&loop] { loop.stop(); });
  const auto t0 = std::chrono::steady_clock::now();
  loop.run_forever();
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(15));
}

TEST_CASE("call_soon on a closed loop raises RuntimeError") {
  coreio::Runtime rt({.loops = 1});
  auto& loop = rt.loop(0);
  rt.close();
  CHECK(loop.is_closed());
  CHECK_THROWS_AS(loop.call_soon([] {}), coreio::RuntimeError);
  CHECK_NOTHROW(loop.close());
}

} // TEST_SUITE
