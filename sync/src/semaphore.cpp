// Semaphore / BoundedSemaphore: construction and the error paths; acquire
// and release are inline over detail::Permits (permits.hpp).
#include "coreio/sync/semaphore.hpp"

#include <string>

#include "coreio/exceptions.hpp"

namespace coreio {

namespace {
std::uint64_t checked_value(std::int64_t value, const char* what) {
  if (value < 0) throw ValueError(std::string(what) + " initial value must be >= 0");
  return static_cast<std::uint64_t>(value);
}
} // namespace

Semaphore::Semaphore(std::int64_t value) : Semaphore(value, detail::Permits::max_permits) {}

Semaphore::Semaphore(std::int64_t value, std::uint64_t bound)
    : permits_(checked_value(value, "Semaphore")), bound_(bound) {}

void Semaphore::throw_released_too_often() const {
  if (bound_ == detail::Permits::max_permits) throw ValueError("Semaphore value overflow");
  // asyncio's message, word for word.
  throw ValueError("BoundedSemaphore released too many times");
}

BoundedSemaphore::BoundedSemaphore(std::int64_t value)
    : Semaphore(value, checked_value(value, "BoundedSemaphore")) {}

} // namespace coreio
