// Runtime diagnostics through spdlog (logger "coreio"). The level comes from
// COREIO_LOG_LEVEL (trace, debug, info, warn, error, critical, off; default
// warn) the first time the logger is used.
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

namespace coreio::detail {

spdlog::logger& log();

/// A runtime invariant was violated: logs (with the current task's name) and
/// aborts. The one place coreio gives up; never used for user errors.
[[noreturn]] void internal_error(std::string_view what) noexcept;

} // namespace coreio::detail
