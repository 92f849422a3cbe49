#include "runtime/stall.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "runtime/env.hpp"
#include "runtime/log.hpp"

using namespace std::chrono_literals;

namespace {

/// Blocks the calling loop thread (the stall the detector must catch). Not
/// inlined, so that it is a frame of the reported backtrace.
[[gnu::noinline]] void hold_the_loop(std::chrono::milliseconds d) {
  std::this_thread::sleep_for(d);
  // Keeps the call from becoming a tail call (which would drop this frame).
  asm volatile("" ::: "memory");
}

std::uint64_t total_stalls() {
  std::uint64_t n = 0;
  for (const auto& l : coreio::Runtime::current()->metrics().loops) n += l.stalls;
  return n;
}

/// Captures what the "coreio" logger writes while it lives. Created and
/// destroyed while no runtime runs (spdlog's sink list is not thread-safe).
class LogCapture {
public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    coreio::detail::log().sinks().push_back(sink_);
  }
  ~LogCapture() { coreio::detail::log().sinks().pop_back(); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  [[nodiscard]] std::string text() const { return out_.str(); }

private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

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

/// Runs body as the main task in every shape with the detector at `threshold`.
template <class F>
void in_all_shapes_with_threshold(std::chrono::nanoseconds threshold, F&& body) {
  for (coreio::testing::Shape s : coreio::testing::shapes()) {
    INFO("runtime shape: ", s.label);
    s.config.stall_threshold = threshold;
    coreio::run([&] { body(); }, s.config);
  }
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

} // namespace

TEST_SUITE("stall detector") {
  TEST_CASE("a task that blocks its loop is reported while it stalls, once, with its name and backtrace") {
    LogCapture capture;
    in_all_shapes_with_threshold(50ms, [] {
      auto hog = coreio::create_task([] { hold_the_loop(600ms); }, coreio::TaskOptions{.name = "hog"});
      hog.get();
      CHECK(total_stalls() == 1);
    });
    const std::string text = capture.text();
    INFO(text);
    // One report and one end line per shape (three shapes).
    CHECK(count(text, "stalled: task 'hog' (id ") == 3);
    CHECK(count(text, "the stall in task 'hog' (id ") == 3);
    CHECK(count(text, "hold_the_loop") >= 3);
    CHECK(text.find("stall_test.cpp:") != std::string::npos);
  }

  TEST_CASE("a callback that blocks its loop is reported as a callback") {
    LogCapture capture;
    in_all_shapes_with_threshold(50ms, [] {
      auto done = coreio::get_running_loop().create_future<void>();
      coreio::get_running_loop().call_soon([done]() mutable {
        hold_the_loop(400ms);
        done.set_result();
      });
      done.get();
      CHECK(total_stalls() == 1);
    });
    const std::string text = capture.text();
    INFO(text);
    CHECK(count(text, "stalled: a callback has run") == 3);
  }

  TEST_CASE("idle loops and steps shorter than the threshold are not stalls") {
    in_all_shapes_with_threshold(1s, [] {
      coreio::sleep(300ms); // every loop parks: no step is running
      for (int i = 0; i < 1000; ++i) coreio::sleep(0s);
      CHECK(total_stalls() == 0);
    });
  }

  TEST_CASE("the detector is off by default and then counts nothing") {
    coreio::testing::run_in_all_shapes([] {
      hold_the_loop(150ms);
      CHECK(total_stalls() == 0);
    });
  }

  TEST_CASE("COREIO_STALL_THRESHOLD turns the detector on for every runtime; 0 turns it off") {
    {
      const ScopedEnv env("COREIO_STALL_THRESHOLD", "40ms");
      coreio::testing::run_in_all_shapes([] {
        CHECK(coreio::Runtime::current()->config().stall_threshold == 40ms);
        hold_the_loop(400ms);
        CHECK(total_stalls() == 1);
      });
    }
    {
      const ScopedEnv env("COREIO_STALL_THRESHOLD", "0");
      coreio::run(
          [] {
            hold_the_loop(150ms);
            CHECK(total_stalls() == 0);
          },
          {.loops = 1, .stall_threshold = 20ms});
    }
  }

  TEST_CASE("a bad COREIO_STALL_THRESHOLD is a ValueError in from_env and ignored by the Runtime") {
    const ScopedEnv env("COREIO_STALL_THRESHOLD", "fast");
    CHECK_THROWS_AS((void)coreio::RuntimeConfig::from_env(), coreio::ValueError);
    coreio::run([] { CHECK(coreio::Runtime::current()->config().stall_threshold == 0s); }, {.loops = 1});
  }

  TEST_CASE("stall thresholds parse with ns, us, ms or s, and plain numbers are milliseconds") {
    using coreio::detail::parse_duration;
    CHECK(parse_duration("100ms") == std::chrono::nanoseconds(100ms));
    CHECK(parse_duration("250") == std::chrono::nanoseconds(250ms));
    CHECK(parse_duration("2s") == std::chrono::nanoseconds(2s));
    CHECK(parse_duration("500us") == std::chrono::nanoseconds(500us));
    CHECK(parse_duration("7NS") == std::chrono::nanoseconds(7));
    CHECK(parse_duration("0") == std::chrono::nanoseconds(0));
    CHECK_FALSE(parse_duration("ms").has_value());
    CHECK_FALSE(parse_duration("10 ms").has_value());
    CHECK_FALSE(parse_duration("1h").has_value());
    CHECK_FALSE(parse_duration("-5ms").has_value());
    CHECK_FALSE(parse_duration("99999999999999999999s").has_value());
  }
}
