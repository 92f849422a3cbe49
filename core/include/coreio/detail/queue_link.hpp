// QueueLink: the intrusive link shared by everything a loop queues (tasks,
// callbacks, timers), so one MPSC inbox carries all three without allocating.
#pragma once

#include <cstdint>

namespace coreio::detail {

struct QueueLink {
  enum class Kind : std::uint8_t { task, callback, timer };
  explicit QueueLink(Kind k) noexcept : kind_(k) {}
  /// Owned by whichever queue holds the object (it is in at most one).
  QueueLink* qnext_ = nullptr;
  Kind kind_;
};

} // namespace coreio::detail
