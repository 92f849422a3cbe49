#include "runtime/log.hpp"

#include <cctype>
#include <cstdlib>
#include <cxxabi.h>
#include <memory>
#include <typeinfo>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "coreio/detail/task_base.hpp"
#include "coreio/exceptions.hpp"

namespace coreio::detail {

namespace {

constexpr spdlog::level::level_enum default_level = spdlog::level::warn;

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(mangled);
}

/// One level of describe_exception: the exception being handled right now.
std::string describe_current() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  std::string name = type ? demangle(type->name()) : "unknown exception";
  // std::throw_with_nested(T) throws libstdc++'s std::_Nested_exception<T>:
  // name the user's type T.
  constexpr std::string_view wrapper = "std::_Nested_exception<";
  if (name.starts_with(wrapper) && name.ends_with('>'))
    name = name.substr(wrapper.size(), name.size() - wrapper.size() - 1);
  try {
    throw;
  } catch (const std::exception& e) {
    return name + ": " + e.what();
  } catch (const CancelledError& e) {
    return name + ": " + e.what();
  } catch (...) {
    return name; // not a std::exception: its type is all there is to say
  }
}

} // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  std::string v(name);
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "trace") return spdlog::level::trace;
  if (v == "debug") return spdlog::level::debug;
  if (v == "info") return spdlog::level::info;
  if (v == "warn" || v == "warning") return spdlog::level::warn;
  if (v == "error" || v == "err") return spdlog::level::err;
  if (v == "critical") return spdlog::level::critical;
  if (v == "off") return spdlog::level::off;
  return std::nullopt;
}

LogLevelChoice log_level_from_env(const char* env) {
  if (!env || !*env) return {default_level, {}};
  if (auto level = parse_log_level(env)) return {*level, {}};
  return {default_level,
          std::string("COREIO_LOG_LEVEL='") + env +
              "' is not a level (trace, debug, info, warn, error, critical, off); using warn"};
}

spdlog::logger& log() {
  // Function-local static: created once, thread-safely, on first use.
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_color_mt("coreio");
    const LogLevelChoice choice = log_level_from_env(std::getenv("COREIO_LOG_LEVEL"));
    l->set_level(choice.level);
    l->set_pattern("[%H:%M:%S.%e] [%n] [%^%l%$] [thread %t] %v");
    if (!choice.warning.empty()) l->warn("{}", choice.warning);
    return l;
  }();
  return *logger;
}

std::string describe_exception(const std::exception_ptr& e) {
  std::string out;
  std::exception_ptr level = e;
  // Bounded: a nested chain is finite, but a cycle-free bound costs nothing.
  for (int depth = 0; level && depth < 32; ++depth) {
    std::exception_ptr next = nullptr;
    try {
      std::rethrow_exception(level);
    } catch (...) {
      out += (depth ? "; caused by " : "") + describe_current();
      try {
        throw;
      } catch (const std::nested_exception& n) {
        next = n.nested_ptr();
      } catch (...) {
        // Not nested: this was the innermost cause.
      }
    }
    level = next;
  }
  return out;
}

void internal_error(std::string_view what) noexcept {
  TaskBase* t = current_task_base();
  log().critical("internal error{}{}: {}", t ? " in task " : "", t ? t->name() : std::string(), what);
  log().flush();
  std::abort();
}

} // namespace coreio::detail
