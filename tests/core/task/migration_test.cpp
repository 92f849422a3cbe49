// Tasks migrate between loop threads at suspension points (work stealing);
// everything the runtime keeps per thread must be re-read after a switch
// (docs/architecture.md, "Tasks are fibers": non-inlined thread-local accessors).
#include "sched/loop_impl.hpp" // detail::current_loop(), the accessor under test

#include <thread>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

TEST_SUITE("Migration") {

TEST_CASE("a task woken from another loop continues there and sees the new loop") {
  coreio::Runtime rt({.loops = 2, .stealing = true});
  // Each loop's OS thread, learned by running a pinned task on it.
  std::vector<std::thread::id> thread_of(2);
  for (std::size_t i = 0; i < 2; ++i)
    thread_of[i] = coreio::run_on(rt.loop(i), [] { return std::this_thread::get_id(); });

  const int hops = rt.block_on([&] {
    int migrations = 0;
    std::size_t prev = coreio::get_running_loop().index();
    for (int i = 0; i < 200; ++i) {
      // Completed by a task pinned to the *other* loop: with work stealing
      // the waker's loop queues the woken task, so we resume over there.
      coreio::Future<> f;
      coreio::Loop& other = rt.loop(1 - coreio::get_running_loop().index());
      other.create_task([f]() mutable { f.set_result(); });
      f.get();
      const std::size_t now = coreio::get_running_loop().index();
      // The loop we see must be the loop whose thread we are on.
      REQUIRE(thread_of[now] == std::this_thread::get_id());
      REQUIRE(coreio::detail::current_loop() == &coreio::detail::Access::impl(rt.loop(now)));
      REQUIRE(coreio::current_task().get_name() == "main");
      migrations += now != prev;
      prev = now;
    }
    return migrations;
  });
  CHECK(hops > 0); // the wake-up from the other loop moved us at least once
}

} // TEST_SUITE
