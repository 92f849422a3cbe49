#include "coreio/runtime.hpp" // self-contained header first

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "runtime/log.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;
using coreio::CancelledError;
using Clock = std::chrono::steady_clock;

namespace {

/// Captures what the "coreio" logger prints while it lives.
class LogCapture {
public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    coreio::detail::log().sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = coreio::detail::log().sinks();
    std::erase(sinks, sink_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  [[nodiscard]] std::string text() const { return out_.str(); }

private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

/// Spawns a task that swallows every cancellation and keeps sleeping,
/// counting its rounds, and waits until it runs.
void spawn_stubborn(const std::shared_ptr<std::atomic<long>>& rounds, std::size_t loop) {
  coreio::Runtime& rt = coreio::get_running_loop().runtime();
  coreio::create_task(
      [rounds] {
        for (;;) {
          try {
            coreio::sleep(2ms);
          } catch (const CancelledError&) {
            // swallowed: the runtime must give up on this task
          }
          rounds->fetch_add(1);
        }
      },
      {.name = "stubborn", .loop = &rt.loop(loop % rt.num_loops())});
  coreio::testing::until([&] { return rounds->load() > 0; });
}

} // namespace

TEST_SUITE("shutdown_timeout") {
  TEST_CASE("a task that swallows every cancel is abandoned after shutdown_timeout and named in the log") {
    for (auto& shape : coreio::testing::shapes()) {
      INFO("runtime shape: ", shape.label);
      LogCapture log;
      auto rounds = std::make_shared<std::atomic<long>>(0);
      auto cfg = shape.config;
      cfg.shutdown_timeout = 200ms;
      const auto start = Clock::now();
      coreio::run([&] { spawn_stubborn(rounds, 1); }, cfg);
      const auto took = Clock::now() - start;
      CHECK(took < 5s);
      CHECK(took >= 200ms);
      const std::string text = log.text();
      CHECK(text.find("'stubborn'") != std::string::npos);
      CHECK(text.find("abandoned") != std::string::npos);
      // Abandoned: it never runs again.
      const long after = rounds->load();
      std::this_thread::sleep_for(30ms);
      CHECK(rounds->load() == after);
    }
  }

  TEST_CASE("a task blocked forever is abandoned, and completing its future later touches no freed loop") {
    for (auto& shape : coreio::testing::shapes()) {
      INFO("runtime shape: ", shape.label);
      LogCapture log;
      auto blocker = std::make_shared<std::optional<coreio::Future<int>>>();
      auto cfg = shape.config;
      cfg.shutdown_timeout = 100ms;
      const auto start = Clock::now();
      {
        coreio::Runtime rt(cfg);
        rt.block_on([&] {
          std::atomic<bool> waiting{false};
          coreio::create_task(
              [blocker, &waiting] {
                for (;;) {
                  coreio::Future<int> f;
                  *blocker = f;
                  waiting.store(true);
                  try {
                    (void)f.get();
                  } catch (const CancelledError&) {
                    // swallowed; wait on a fresh future again
                  }
                }
              },
              {.name = "blocked-forever"});
          coreio::testing::until([&] { return waiting.load(); });
        });
        rt.close();
      } // the runtime and its loops are gone
      CHECK(Clock::now() - start < 5s);
      CHECK(log.text().find("'blocked-forever'") != std::string::npos);
      // A foreign thread completes what the abandoned task waits on: its
      // wake-up must be a no-op (ASan checks that no freed loop is touched).
      REQUIRE(blocker->has_value());
      std::thread([blocker] { (**blocker).set_result(1); }).join();
    }
  }

  TEST_CASE("without shutdown_timeout close() waits for a slow cleanup, as asyncio.run does") {
    for (auto& shape : coreio::testing::shapes()) {
      INFO("runtime shape: ", shape.label);
      auto cleaned = std::make_shared<std::atomic<bool>>(false);
      coreio::run(
          [cleaned] {
            std::atomic<bool> started{false};
            coreio::create_task([cleaned, &started] {
              started.store(true);
              try {
                coreio::sleep(10s);
              } catch (const CancelledError&) {
                coreio::sleep(50ms);
                cleaned->store(true);
                throw;
              }
            });
            coreio::testing::until([&] { return started.load(); });
          },
          shape.config);
      CHECK(cleaned->load());
    }
  }

  TEST_CASE("tasks that finish their cleanup within shutdown_timeout are not reported") {
    for (auto& shape : coreio::testing::shapes()) {
      INFO("runtime shape: ", shape.label);
      LogCapture log;
      auto cleaned = std::make_shared<std::atomic<int>>(0);
      auto cfg = shape.config;
      cfg.shutdown_timeout = 5s;
      const auto start = Clock::now();
      coreio::run(
          [cleaned] {
            auto started = std::make_shared<std::atomic<int>>(0);
            for (int i = 0; i < 4; ++i)
              coreio::create_task([cleaned, started] {
                started->fetch_add(1);
                try {
                  coreio::sleep(10s);
                } catch (const CancelledError&) {
                  coreio::sleep(5ms);
                  cleaned->fetch_add(1);
                  throw;
                }
              });
            coreio::testing::until([&] { return started->load() == 4; });
          },
          cfg);
      CHECK(Clock::now() - start < 4s); // returned when done, not at the bound
      CHECK(cleaned->load() == 4);
      CHECK(log.text().find("abandoned") == std::string::npos);
    }
  }

  TEST_CASE("Runner::close(timeout) bounds the shutdown of tasks left by earlier runs") {
    LogCapture log;
    auto rounds = std::make_shared<std::atomic<long>>(0);
    const auto start = Clock::now();
    {
      coreio::Runner runner({.loops = 2});
      runner.run([&] { spawn_stubborn(rounds, 0); });
      runner.close(100ms);
      CHECK(runner.runtime().is_closed());
    }
    CHECK(Clock::now() - start < 5s);
    CHECK(log.text().find("'stubborn'") != std::string::npos);
  }

} // TEST_SUITE
