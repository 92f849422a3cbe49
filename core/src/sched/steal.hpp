// Stealer: how an idle loop finds work other loops have (work-stealing
// shape): batches from the injector, then half of another loop's ring.
//
//  1. pull_global(): a batch (at most `global_batch_max`, at most a fair share
//     of what is queued, at most the ring's room) from the injector into this
//     loop's ring.
//  2. try_steal(): with nothing local, pull a batch; else, if idle.hpp rule 1
//     allows, search: start at a random victim (xorshift) and steal half of
//     the first non-empty ring; rule 2 when done.
//  3. parks_visible(): a loop that steals registers as parked while it parks
//     (idle.hpp rule 4), so new work can wake it.
// In the one-loop and shared-nothing shapes the stealer has no victims: it
// pulls nothing (the injector stays empty: every task is pinned), steals
// nothing and parks unregistered. That is the only place the shape shows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace coreio::detail {

class Idle;
class Injector;
class LoopImpl;
class ReadyQueue;
struct LoopCounters;

/// Most tasks a loop takes from the injector at once.
inline constexpr std::size_t global_batch_max = 32;

class Stealer {
public:
  Stealer(LoopImpl& owner, ReadyQueue& mine, Injector& injector, Idle& idle, LoopCounters& counters,
          std::size_t index) noexcept;

  /// Called once all loops exist: `victims` are the other loops' queues
  /// (empty unless the runtime steals).
  void set_victims(std::vector<ReadyQueue*> victims) { victims_ = std::move(victims); }
  /// Step 1. True if it took any task.
  bool pull_global();
  /// Step 2. True if it found any task.
  bool try_steal();
  /// Step 3.
  [[nodiscard]] bool parks_visible() const noexcept { return !victims_.empty(); }

private:
  std::size_t random_start() noexcept;

  LoopImpl& owner_;
  ReadyQueue& mine_;
  Injector& injector_;
  Idle& idle_;
  LoopCounters& counters_;
  std::vector<ReadyQueue*> victims_;
  std::uint64_t rng_;
};

} // namespace coreio::detail
