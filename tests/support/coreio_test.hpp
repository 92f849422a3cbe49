// The test harness: COREIO_TEST_CASE runs its body as the main task of
// coreio::run under each runtime shape (STYLE.md 4):
//   {.loops = 1}, {.loops = N, .stealing = false}, {.loops = N, .stealing = true}
// with N = COREIO_TEST_LOOPS (default 2; multi-loop shapes always use >= 2
// loops, even on one CPU). A failure names the shape it happened in.
#pragma once

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "coreio/runtime.hpp"

namespace coreio::testing {

inline std::size_t multi_loops() {
  if (const char* env = std::getenv("COREIO_TEST_LOOPS")) {
    const long n = std::strtol(env, nullptr, 10);
    if (n >= 2) return static_cast<std::size_t>(n);
  }
  return 2;
}

struct Shape {
  std::string label;
  RuntimeConfig config;
};

inline std::vector<Shape> shapes() {
  const std::size_t n = multi_loops();
  return {
      {"loops=1", RuntimeConfig{.loops = 1}},
      {"loops=" + std::to_string(n) + " shared-nothing", RuntimeConfig{.loops = n, .stealing = false}},
      {"loops=" + std::to_string(n) + " work-stealing", RuntimeConfig{.loops = n, .stealing = true}},
  };
}

/// Runs body() as the main task in every shape.
template <class F>
void run_in_all_shapes(F&& body) {
  for (const Shape& s : shapes()) {
    INFO("runtime shape: ", s.label);
    coreio::run([&] { body(); }, s.config);
  }
}

} // namespace coreio::testing

#define COREIO_TEST_CAT2(a, b) a##b
#define COREIO_TEST_CAT(a, b) COREIO_TEST_CAT2(a, b)

/// TEST_CASE whose body runs inside a task, once per runtime shape.
#define COREIO_TEST_CASE(name) COREIO_TEST_CASE_IMPL(name, COREIO_TEST_CAT(coreio_test_body_, __LINE__))
#define COREIO_TEST_CASE_IMPL(name, fn)                                                                                \
  static void fn();                                                                                                    \
  TEST_CASE(name) { ::coreio::testing::run_in_all_shapes([] { fn(); }); }                                              \
  static void fn()
