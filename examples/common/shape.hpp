// The few lines every example shares: which runtime shape to run in, and how
// fast the clock of the tutorial runs.
//
// Each example calls `coreio::run(main, examples::shape())`, so one binary
// runs in the three shapes coreio exists to compare, chosen by environment:
//
//   COREIO_LOOPS=1                       one loop (asyncio's design)
//   COREIO_LOOPS=N COREIO_STEALING=0     shared-nothing loops
//   COREIO_LOOPS=N [COREIO_STEALING=1]   work-stealing loops (the default)
//
// Without COREIO_LOOPS a loop per hardware thread is used
// (coreio::RuntimeConfig::from_env; a value that does not parse is a ValueError).
//
// The tutorials sleep for whole seconds. `sec(1.5)` is 1.5 s times
// COREIO_EXAMPLE_TIME_SCALE (default 1), which the tests set below 1 so the
// suite runs quickly while every timing relation (who finishes first, 2 s
// rather than 3 s) is kept.
#pragma once

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>

#include <coreio/runtime_config.hpp>

namespace examples {

/// The runtime shape from COREIO_LOOPS / COREIO_STEALING (and the other
/// variables of RuntimeConfig::from_env, docs/tuning.md).
inline coreio::RuntimeConfig shape() { return coreio::RuntimeConfig::from_env(); }

/// COREIO_EXAMPLE_TIME_SCALE, default 1.
inline double time_scale() {
  static const double scale = [] {
    const char* v = std::getenv("COREIO_EXAMPLE_TIME_SCALE");
    double s = v && *v ? std::strtod(v, nullptr) : 1.0;
    return s > 0 ? s : 1.0;
  }();
  return scale;
}

/// `seconds` tutorial seconds, as a duration for coreio::sleep, call_later...
inline std::chrono::nanoseconds sec(double seconds) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds * time_scale()));
}

/// Python's time.strftime('%X'): the wall clock as HH:MM:SS.
inline std::string clock_hms() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[16];
  std::strftime(buf, sizeof buf, "%X", &local);
  return buf;
}

} // namespace examples
