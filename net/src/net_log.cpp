#include "net_log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <memory>

namespace coreio::detail {

spdlog::logger& net_log() {
  // Function-local static: resolved once, thread-safely, on first use.
  static std::shared_ptr<spdlog::logger> logger = [] {
    if (auto l = spdlog::get("coreio")) return l;
    try {
      auto l = spdlog::stderr_color_mt("coreio");
      const char* env = std::getenv("COREIO_LOG_LEVEL");
      l->set_level(env ? spdlog::level::from_str(env) : spdlog::level::warn);
      l->set_pattern("[%H:%M:%S.%e] [%n] [%^%l%$] [thread %t] %v");
      return l;
    } catch (const spdlog::spdlog_ex&) {
      // core created it between our get() and create(): use that one.
      return spdlog::get("coreio");
    }
  }();
  return *logger;
}

} // namespace coreio::detail
