// Python's random.randint / random.uniform for examples whose tasks may run on
// several loop threads at once: one engine behind a mutex. The mutex is held
// only for the draw, never across a suspension point (a task must not
// suspend while it holds a std::mutex: another task on the same thread could
// block on it).
#pragma once

#include <mutex>
#include <random>

namespace examples {

inline std::mt19937& random_engine() {
  static std::mt19937 engine{std::random_device{}()};
  return engine;
}

inline std::mutex& random_mutex() {
  static std::mutex m;
  return m;
}

/// random.randint(lo, hi): an integer in [lo, hi].
inline int randint(int lo, int hi) {
  std::lock_guard guard(random_mutex());
  return std::uniform_int_distribution<int>(lo, hi)(random_engine());
}

/// random.uniform(lo, hi): a real number in [lo, hi].
inline double uniform(double lo, double hi) {
  std::lock_guard guard(random_mutex());
  return std::uniform_real_distribution<double>(lo, hi)(random_engine());
}

} // namespace examples
