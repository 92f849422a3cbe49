#include "coreio/future.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

using namespace std::chrono_literals;

TEST_SUITE("Future") {

COREIO_TEST_CASE("set_result wakes a task blocked in get()") {
  auto f = coreio::get_running_loop().create_future<int>();
  auto t = coreio::create_task([f] { return f.get() * 2; });
  coreio::sleep(2ms);
  f.set_result(21);
  CHECK(t.get() == 42);
}

COREIO_TEST_CASE("set_result twice raises InvalidStateError") {
  coreio::Future<int> f;
  f.set_result(1);
  CHECK_THROWS_AS(f.set_result(2), coreio::InvalidStateError);
  CHECK_THROWS_AS(f.set_exception(std::runtime_error("x")), coreio::InvalidStateError);
  CHECK(f.result() == 1);
}

COREIO_TEST_CASE("set_exception is rethrown by result() and get()") {
  coreio::Future<> f;
  f.set_exception(std::logic_error("bad"));
  CHECK_THROWS_AS(f.result(), std::logic_error);
  CHECK_THROWS_AS(f.get(), std::logic_error);
  CHECK(f.exception() != nullptr);
}

COREIO_TEST_CASE("cancel completes a pending future and its waiters raise CancelledError") {
  coreio::Future<int> f;
  auto t = coreio::create_task([f] { return f.get(); });
  coreio::sleep(2ms);
  CHECK(f.cancel("bye"));
  CHECK(f.cancelled());
  CHECK_THROWS_AS(t.get(), coreio::CancelledError);
  CHECK_FALSE(f.cancel());
  CHECK_THROWS_AS((void)f.exception(), coreio::CancelledError);
}

COREIO_TEST_CASE("a plain OS thread blocks in get() until a task completes the future") {
  coreio::Future<int> f;
  int seen = 0;
  std::thread th([&] { seen = f.get(); });
  coreio::sleep(5ms);
  f.set_result(9);
  th.join();
  CHECK(seen == 9);
}

COREIO_TEST_CASE("a future completed from a plain OS thread wakes the waiting task") {
  coreio::Future<std::string> f;
  std::thread th([f]() mutable {
    std::this_thread::sleep_for(5ms);
    f.set_result("from thread");
  });
  CHECK(f.get() == "from thread");
  th.join();
}

COREIO_TEST_CASE("move-only values are stored and can be moved out") {
  coreio::Future<std::unique_ptr<int>> f;
  f.set_result(std::make_unique<int>(3));
  std::unique_ptr<int> p = std::move(f.get());
  REQUIRE(p);
  CHECK(*p == 3);
}

COREIO_TEST_CASE("a done callback added after completion still runs, on the loop that added it") {
  auto& rt = coreio::get_running_loop().runtime();
  auto& target = rt.loop(rt.num_loops() - 1);
  coreio::Future<coreio::Loop*> where;
  coreio::run_on(target, [where] {
    coreio::Future<int> f;
    f.set_result(1);
    f.add_done_callback([where](coreio::Future<int>&) mutable { where.set_result(&coreio::get_running_loop()); });
  });
  CHECK(where.get() == &target);
}

COREIO_TEST_CASE("many waiters (tasks and threads) are all woken by one set_result") {
  coreio::Future<int> f;
  std::vector<coreio::Task<int>> ts;
  for (int i = 0; i < 50; ++i) ts.push_back(coreio::create_task([f] { return f.get(); }));
  std::atomic<int> thread_sum{0};
  std::vector<std::thread> ths;
  for (int i = 0; i < 4; ++i) ths.emplace_back([&, f] { thread_sum += f.get(); });
  coreio::sleep(5ms);
  f.set_result(2);
  int sum = 0;
  for (auto& t : ts) sum += t.get();
  for (auto& th : ths) th.join();
  CHECK(sum == 100);
  CHECK(thread_sum.load() == 8);
}

} // TEST_SUITE
