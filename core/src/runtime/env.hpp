// Strict parsing of coreio's environment variables (RuntimeConfig::from_env,
// the Runtime's own COREIO_DEBUG / COREIO_IO_URING, COREIO_LOG_LEVEL).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

namespace coreio::detail {

/// The variable's value; nullopt when it is unset or empty (empty = unset).
std::optional<std::string_view> env_value(const char* var);
/// 1/0, true/false, yes/no, on/off in any case; nullopt otherwise.
std::optional<bool> parse_bool(std::string_view value);
/// A decimal count; with allow_suffix also k/m/g (KiB, MiB, GiB). nullopt on
/// anything else, overflow included.
std::optional<std::size_t> parse_size(std::string_view value, bool allow_suffix);
/// A duration: a decimal count with an optional unit ns, us, ms or s (no unit
/// = milliseconds), e.g. "100ms", "2s", "250". nullopt on anything else.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view value);
/// The boolean variable `var`, `fallback` when unset or empty.
/// Throws: ValueError for a value parse_bool rejects.
bool env_bool(const char* var, bool fallback);

} // namespace coreio::detail
