// Idle: which loops are parked and how many are searching (work-stealing
// shape). Tokio's idle protocol, simplified:
//  1. A loop with nothing to do may start searching (stealing) only while
//     fewer than half the loops search, so idle loops do not all hammer one
//     busy victim (try_begin_search).
//  2. A searcher that finds work and was the last searcher wakes one parked
//     loop, so that parallelism ramps up one loop at a time (end_search).
//  3. New work (a push to a ring, to the injector) wakes a parked loop only if
//     nobody is searching: a searcher will find it anyway
//     (notify_if_no_searchers).
//  4. A loop parks by registering here (under `mu_`) *before* its final check
//     of the injector; a pusher adds to the injector *before* taking `mu_` to
//     pick a loop to wake. The mutex orders the two, so a push is never
//     missed by a loop that parks.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <vector>

namespace coreio::detail {

class LoopImpl;

class Idle {
public:
  explicit Idle(std::size_t num_loops) noexcept : num_loops_(num_loops) {}

  /// Rule 1. True if the caller may search; it then calls end_search().
  bool try_begin_search() noexcept;
  /// Rule 2. True if the caller was the last searcher.
  bool end_search() noexcept;
  /// Rule 3.
  void notify_if_no_searchers() noexcept;
  /// Unparks one registered loop, if any.
  void notify_one() noexcept;
  /// Rule 4: around a loop's park.
  void register_parked(LoopImpl* l);
  void unregister_parked(LoopImpl* l);

private:
  const std::size_t num_loops_;
  std::mutex mu_;
  std::vector<LoopImpl*> parked_;
  std::atomic<std::size_t> num_parked_{0};
  std::atomic<std::size_t> num_searching_{0};
};

} // namespace coreio::detail
