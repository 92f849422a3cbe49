// Runtime diagnostics through spdlog (logger "coreio"). The level comes from
// COREIO_LOG_LEVEL the first time the logger is used: spdlog's level names in
// any case (trace, debug, info, warn or warning, error or err, critical, off);
// default warn. Unset or empty keeps the default; any other value keeps it too
// and logs a warning naming the value (a typo must not hide errors).
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace coreio::detail {

spdlog::logger& log();

/// The level named by `name` (case-insensitive spdlog names, see above), or
/// nullopt if it names none.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

/// The level for a COREIO_LOG_LEVEL value (`env` may be null = unset), and the
/// warning to log when the value is rejected (empty when there is none).
struct LogLevelChoice {
  spdlog::level::level_enum level;
  std::string warning;
};
LogLevelChoice log_level_from_env(const char* env);

/// "Type: what()" for an exception, followed by "; caused by Type: what()" for
/// each std::nested_exception level (std::throw_with_nested). Type names are
/// demangled; CancelledError, which is not a std::exception, gets its message
/// too; anything else is named by its type alone.
std::string describe_exception(const std::exception_ptr& e);

/// A runtime invariant was violated: logs (with the current task's name) and
/// aborts. The one place coreio gives up; never used for user errors.
[[noreturn]] void internal_error(std::string_view what) noexcept;

} // namespace coreio::detail
