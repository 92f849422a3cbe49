// Helpers the task-level tests share: placing a task on a given loop, waiting
// for a task to reach a point, and reading a TimeoutError's cause.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>

#include <doctest/doctest.h>

#include "coreio/coreio.hpp"

namespace coreio::testing {

/// Options placing the i-th task on loop i mod N (tasks spread over all loops).
inline TaskOptions on_loop(std::size_t i) {
  Runtime& rt = get_running_loop().runtime();
  return {.loop = &rt.loop(i % rt.num_loops())};
}

/// Polls until pred() holds: a task reached a given point (never a timing
/// guess). Fails the test, rather than hanging it, if that takes a minute.
template <class P>
void until(P pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!pred()) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "until(): the condition never held");
    sleep(std::chrono::microseconds(100));
  }
}

/// True if `e` (a TimeoutError) carries the CancelledError that caused it.
inline bool caused_by_cancel(const TimeoutError& e) {
  try {
    std::rethrow_if_nested(e);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
  return false;
}

} // namespace coreio::testing
