#include "runtime/log.hpp"

#include <exception>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <spdlog/sinks/ostream_sink.h>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

TEST_SUITE("log") {
  TEST_CASE("COREIO_LOG_LEVEL accepts spdlog's level names in any case") {
    using spdlog::level::level_enum;
    CHECK(coreio::detail::log_level_from_env("trace").level == level_enum::trace);
    CHECK(coreio::detail::log_level_from_env("DEBUG").level == level_enum::debug);
    CHECK(coreio::detail::log_level_from_env("Info").level == level_enum::info);
    CHECK(coreio::detail::log_level_from_env("WARN").level == level_enum::warn);
    CHECK(coreio::detail::log_level_from_env("warning").level == level_enum::warn);
    CHECK(coreio::detail::log_level_from_env("Error").level == level_enum::err);
    CHECK(coreio::detail::log_level_from_env("err").level == level_enum::err);
    CHECK(coreio::detail::log_level_from_env("CRITICAL").level == level_enum::critical);
    CHECK(coreio::detail::log_level_from_env("off").level == level_enum::off);
    CHECK(coreio::detail::log_level_from_env("Error").warning.empty());
  }

  TEST_CASE("an invalid COREIO_LOG_LEVEL keeps the default (warn) and says so; unset or empty keeps it silently") {
    const auto typo = coreio::detail::log_level_from_env("eror");
    CHECK(typo.level == spdlog::level::warn);
    CHECK(typo.warning ==
          "COREIO_LOG_LEVEL='eror' is not a level (trace, debug, info, warn, error, critical, off); "
          "using warn");
    CHECK(coreio::detail::log_level_from_env("").level == spdlog::level::warn);
    CHECK(coreio::detail::log_level_from_env("").warning.empty());
    CHECK(coreio::detail::log_level_from_env(nullptr).level == spdlog::level::warn);
  }

  TEST_CASE("describe_exception names the type and every nested cause") {
    std::exception_ptr e;
    try {
      try {
        throw coreio::ValueError("bad port");
      } catch (...) {
        std::throw_with_nested(std::runtime_error("config failed"));
      }
    } catch (...) {
      e = std::current_exception();
    }
    CHECK(coreio::detail::describe_exception(e) ==
          "std::runtime_error: config failed; caused by coreio::ValueError: bad port");
    CHECK(coreio::detail::describe_exception(std::make_exception_ptr(42)) == "int");
    CHECK(coreio::detail::describe_exception(std::make_exception_ptr(coreio::CancelledError("stop"))) ==
          "coreio::CancelledError: stop");
  }

  TEST_CASE("'Task exception was never retrieved' names the exception's type and its nested causes") {
    std::ostringstream out;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    spdlog::logger& log = coreio::detail::log();
    log.sinks().push_back(sink); // no runtime is running: nothing else logs now
    coreio::run(
        [] {
          auto t = coreio::create_task([] {
            try {
              throw std::out_of_range("index 7");
            } catch (...) {
              std::throw_with_nested(std::logic_error("lookup failed"));
            }
          });
          t.wait();
        },
        {.loops = 1});
    log.sinks().pop_back();
    const std::string text = out.str();
    INFO(text);
    CHECK(text.find("exception was never retrieved: std::logic_error: lookup failed; caused by std::out_of_range: "
                    "index 7") != std::string::npos);
  }

} // TEST_SUITE
