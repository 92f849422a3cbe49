// RuntimeConfig::from_env: the environment overrides of a runtime's shape
// (runtime_config.hpp lists them). Every value is parsed strictly: a value
// that does not parse is a ValueError naming the variable, never a silent
// default, because a typo in COREIO_LOOPS would otherwise run another shape.
#include "runtime/env.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "coreio/exceptions.hpp"
#include "coreio/runtime_config.hpp"

namespace coreio::detail {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

[[noreturn]] void bad(std::string_view var, std::string_view value, std::string_view expected) {
  throw ValueError(std::string(var) + "='" + std::string(value) + "': expected " + std::string(expected));
}

} // namespace

std::optional<std::string_view> env_value(const char* var) {
  const char* v = std::getenv(var);
  if (!v || !*v) return std::nullopt;
  return std::string_view(v);
}

std::optional<bool> parse_bool(std::string_view value) {
  const std::string v = lower(value);
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  return std::nullopt;
}

std::optional<std::size_t> parse_size(std::string_view value, bool allow_suffix) {
  std::size_t n = 0;
  const char* first = value.data();
  const char* last = value.data() + value.size();
  auto [end, ec] = std::from_chars(first, last, n);
  if (ec != std::errc() || end == first) return std::nullopt;
  std::size_t scale = 1;
  if (end != last) {
    if (!allow_suffix || end + 1 != last) return std::nullopt;
    switch (std::tolower(static_cast<unsigned char>(*end))) {
    case 'k': scale = std::size_t{1} << 10; break;
    case 'm': scale = std::size_t{1} << 20; break;
    case 'g': scale = std::size_t{1} << 30; break;
    default: return std::nullopt;
    }
  }
  if (n > std::numeric_limits<std::size_t>::max() / scale) return std::nullopt;
  return n * scale;
}

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view value) {
  std::uint64_t n = 0;
  const char* first = value.data();
  const char* last = value.data() + value.size();
  auto [end, ec] = std::from_chars(first, last, n);
  if (ec != std::errc() || end == first) return std::nullopt;
  const std::string unit = lower(std::string_view(end, static_cast<std::size_t>(last - end)));
  std::uint64_t scale = 0;
  if (unit == "ns") scale = 1;
  else if (unit == "us") scale = 1'000;
  else if (unit.empty() || unit == "ms") scale = 1'000'000;
  else if (unit == "s") scale = 1'000'000'000;
  else return std::nullopt;
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::chrono::nanoseconds::rep>::max());
  if (n > max / scale) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(n * scale));
}

bool env_bool(const char* var, bool fallback) {
  const auto v = env_value(var);
  if (!v) return fallback;
  if (auto b = parse_bool(*v)) return *b;
  bad(var, *v, "0/1, true/false, yes/no or on/off");
}

} // namespace coreio::detail

namespace coreio {

RuntimeConfig RuntimeConfig::from_env(RuntimeConfig base) {
  using namespace detail;
  auto size_var = [](const char* var, std::size_t& field, bool suffix, std::string_view expected) {
    if (const auto v = env_value(var)) {
      const auto n = parse_size(*v, suffix);
      if (!n) bad(var, *v, expected);
      field = *n;
    }
  };
  auto bool_var = [](const char* var, auto& field) {
    if (env_value(var)) field = env_bool(var, false);
  };
  size_var("COREIO_LOOPS", base.loops, false, "a number of loops (0 = one per hardware thread)");
  bool_var("COREIO_STEALING", base.stealing);
  if (const auto v = env_value("COREIO_PLACEMENT")) {
    const std::string p = lower(*v);
    if (p == "local") base.placement = Placement::local;
    else if (p == "round_robin") base.placement = Placement::round_robin;
    else bad("COREIO_PLACEMENT", *v, "local or round_robin");
  }
  bool_var("COREIO_LIFO_SLOT", base.lifo_slot);
  size_var("COREIO_STACK_SIZE", base.stack_size, true, "a size in bytes, optionally with k, m or g");
  if (base.stack_size == 0) bad("COREIO_STACK_SIZE", "0", "a size above 0");
  bool_var("COREIO_GUARD_PAGES", base.guard_pages);
  bool_var("COREIO_PIN_THREADS", base.pin_threads);
  bool_var("COREIO_IO_URING", base.io_uring);
  bool_var("COREIO_DEBUG", base.debug);
  size_var("COREIO_MAX_BLOCKING_THREADS", base.max_blocking_threads, false, "a number of threads");
  if (const auto v = env_value("COREIO_THREAD_NAME")) base.name = std::string(*v);
  if (const auto v = env_value("COREIO_STALL_THRESHOLD")) {
    const auto d = parse_duration(*v);
    if (!d) bad("COREIO_STALL_THRESHOLD", *v, "a duration such as 100ms, 2s or 500us (0 = off)");
    base.stall_threshold = *d;
  }
  return base;
}

} // namespace coreio
