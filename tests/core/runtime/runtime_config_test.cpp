#include "coreio/runtime_config.hpp"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <pthread.h>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

namespace {

/// Sets an environment variable for one scope (each ctest case is its own
/// process, and no runtime runs while these cases touch the environment).
class ScopedEnv {
public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  const char* name_;
  std::optional<std::string> old_;
};

} // namespace

TEST_SUITE("RuntimeConfig") {
  TEST_CASE("from_env without variables returns the base config unchanged") {
    for (const char* v : {"COREIO_LOOPS", "COREIO_STEALING", "COREIO_PLACEMENT", "COREIO_LIFO_SLOT",
                          "COREIO_STACK_SIZE", "COREIO_GUARD_PAGES", "COREIO_PIN_THREADS", "COREIO_IO_URING",
                          "COREIO_DEBUG", "COREIO_MAX_BLOCKING_THREADS", "COREIO_THREAD_NAME"})
      ::unsetenv(v);
    const coreio::RuntimeConfig c = coreio::RuntimeConfig::from_env({.loops = 3, .stealing = false, .name = "app"});
    CHECK(c.loops == 3);
    CHECK_FALSE(c.stealing);
    CHECK(c.name == "app");
    CHECK_FALSE(c.placement.has_value());
    CHECK(c.stack_size == 256 * 1024);
  }

  TEST_CASE("from_env reads the shape, stack and pool variables") {
    ScopedEnv loops("COREIO_LOOPS", "4");
    ScopedEnv stealing("COREIO_STEALING", "off");
    ScopedEnv placement("COREIO_PLACEMENT", "Round_Robin");
    ScopedEnv lifo("COREIO_LIFO_SLOT", "TRUE");
    ScopedEnv stack("COREIO_STACK_SIZE", "64k");
    ScopedEnv guard("COREIO_GUARD_PAGES", "0");
    ScopedEnv pin("COREIO_PIN_THREADS", "yes");
    ScopedEnv uring("COREIO_IO_URING", "0");
    ScopedEnv debug("COREIO_DEBUG", "1");
    ScopedEnv blocking("COREIO_MAX_BLOCKING_THREADS", "8");
    ScopedEnv name("COREIO_THREAD_NAME", "svc");
    const coreio::RuntimeConfig c = coreio::RuntimeConfig::from_env();
    CHECK(c.loops == 4);
    CHECK_FALSE(c.stealing);
    CHECK(c.placement == coreio::Placement::round_robin);
    CHECK(c.lifo_slot == true);
    CHECK(c.stack_size == 64 * 1024);
    CHECK_FALSE(c.guard_pages);
    CHECK(c.pin_threads);
    CHECK_FALSE(c.io_uring);
    CHECK(c.debug);
    CHECK(c.max_blocking_threads == 8);
    CHECK(c.name == "svc");
  }

  TEST_CASE("from_env treats an empty variable as unset") {
    ScopedEnv loops("COREIO_LOOPS", "");
    CHECK(coreio::RuntimeConfig::from_env({.loops = 5}).loops == 5);
  }

  TEST_CASE("from_env raises ValueError naming the variable for a value that does not parse") {
    SUBCASE("a loop count with a typo") {
      ScopedEnv loops("COREIO_LOOPS", "4x");
      CHECK_THROWS_WITH_AS(coreio::RuntimeConfig::from_env(),
                           "COREIO_LOOPS='4x': expected a number of loops (0 = one per hardware thread)",
                           coreio::ValueError);
    }
    SUBCASE("a negative loop count") {
      ScopedEnv loops("COREIO_LOOPS", "-1");
      CHECK_THROWS_AS(coreio::RuntimeConfig::from_env(), coreio::ValueError);
    }
    SUBCASE("a boolean that is not one") {
      ScopedEnv stealing("COREIO_STEALING", "maybe");
      CHECK_THROWS_WITH_AS(coreio::RuntimeConfig::from_env(),
                           "COREIO_STEALING='maybe': expected 0/1, true/false, yes/no or on/off", coreio::ValueError);
    }
    SUBCASE("an unknown placement") {
      ScopedEnv placement("COREIO_PLACEMENT", "random");
      CHECK_THROWS_AS(coreio::RuntimeConfig::from_env(), coreio::ValueError);
    }
    SUBCASE("a stack size with an unknown suffix, or zero") {
      {
        ScopedEnv stack("COREIO_STACK_SIZE", "64q");
        CHECK_THROWS_AS(coreio::RuntimeConfig::from_env(), coreio::ValueError);
      }
      ScopedEnv stack("COREIO_STACK_SIZE", "0");
      CHECK_THROWS_AS(coreio::RuntimeConfig::from_env(), coreio::ValueError);
    }
  }

  TEST_CASE("from_env's shape runs: COREIO_LOOPS=2 COREIO_STEALING=0 gives two shared-nothing loops") {
    ScopedEnv loops("COREIO_LOOPS", "2");
    ScopedEnv stealing("COREIO_STEALING", "0");
    coreio::Runtime rt(coreio::RuntimeConfig::from_env());
    CHECK(rt.num_loops() == 2);
    CHECK_FALSE(rt.config().stealing);
  }

  TEST_CASE(
      "thread hooks run once on every loop thread, named <name>-<i>, start before the first task, stop by close") {
    std::mutex mu;
    std::multiset<std::size_t> started, stopped;
    std::set<std::string> names;
    std::atomic<int> running{0};
    {
      coreio::Runtime rt({.loops = 3,
                          .name = "hook",
                          .on_thread_start =
                              [&](std::size_t i) {
                                char name[16] = {};
                                pthread_getname_np(pthread_self(), name, sizeof name);
                                std::lock_guard g(mu);
                                started.insert(i);
                                names.insert(name);
                                running.fetch_add(1, std::memory_order_relaxed);
                              },
                          .on_thread_stop =
                              [&](std::size_t i) {
                                std::lock_guard g(mu);
                                stopped.insert(i);
                              }});
      // The constructor returned after every on_thread_start call.
      CHECK(running.load(std::memory_order_relaxed) == 3);
      rt.block_on([] {});
      rt.close();
      std::lock_guard g(mu);
      CHECK(stopped == std::multiset<std::size_t>{0, 1, 2});
    }
    CHECK(started == std::multiset<std::size_t>{0, 1, 2});
    CHECK(names == std::set<std::string>{"hook-0", "hook-1", "hook-2"});
  }

  TEST_CASE("a thread hook that throws is logged and the runtime still runs") {
    const int v = coreio::run([] { return 7; },
                              {.loops = 2,
                               .on_thread_start = [](std::size_t) { throw std::runtime_error("hook failed"); },
                               .on_thread_stop = [](std::size_t) { throw std::runtime_error("stop hook failed"); }});
    CHECK(v == 7);
  }

} // TEST_SUITE
