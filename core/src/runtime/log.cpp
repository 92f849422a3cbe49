#include "runtime/log.hpp"

#include <cstdlib>
#include <memory>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "coreio/detail/task_base.hpp"

namespace coreio::detail {

spdlog::logger& log() {
  // Function-local static: created once, thread-safely, on first use.
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_color_mt("coreio");
    const char* env = std::getenv("COREIO_LOG_LEVEL");
    l->set_level(env ? spdlog::level::from_str(env) : spdlog::level::warn);
    l->set_pattern("[%H:%M:%S.%e] [%n] [%^%l%$] [thread %t] %v");
    return l;
  }();
  return *logger;
}

void internal_error(std::string_view what) noexcept {
  TaskBase* t = current_task_base();
  log().critical("internal error{}{}: {}", t ? " in task " : "", t ? t->name() : std::string(), what);
  log().flush();
  std::abort();
}

} // namespace coreio::detail
