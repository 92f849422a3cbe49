// UringDriver: the glue between a loop and its io_uring (io/uring.hpp): set-up
// on the loop thread, the pass in each maintenance, and the park protocol
// (LoopUring step 3). The loop calls these four hooks and knows nothing else
// of the ring.
//
// # Parking with reads in flight
//  1. prepare_park() submits what is queued; with nothing in flight it is
//     done (the ring cannot wake anyone).
//  2. It arms one async_wait on a dup of the ring's eventfd in the loop's
//     io_context (kept armed across parks until it fires).
//  3. It switches the eventfd on and then checks for completion work: work
//     that arrived before is seen by the check, work that arrives after
//     signals the eventfd, which completes the wait and ends the park.
//  4. after_park() switches the eventfd off again.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace coreio::detail {

class LoopUring;
struct LoopCounters;

/// Submission slots of a loop's io_uring; a full ring submits early.
inline constexpr unsigned uring_entries = 1024;

class UringDriver {
public:
  UringDriver() noexcept;
  ~UringDriver();
  UringDriver(const UringDriver&) = delete;
  UringDriver& operator=(const UringDriver&) = delete;

  /// Loop thread, before its first task: sets up the ring and its watch, or
  /// leaves the loop on the reactor (logged) when the kernel has no ring or
  /// `enabled` is false (RuntimeConfig::io_uring). The other hooks do
  /// nothing on a loop without a ring.
  void start(boost::asio::io_context& io, std::size_t loop_index, bool enabled);
  /// Loop thread, after its last pass: cancels and reaps what is in flight.
  void stop() noexcept;
  /// Maintenance: submit the batch, reap completions (LoopUring::pass).
  void pass(LoopCounters& counters);
  /// Parking steps 1-3. True if completions already wait (do not block).
  [[nodiscard]] bool prepare_park();
  /// Parking step 4.
  void after_park() noexcept;

  /// The ring, or nullptr.
  [[nodiscard]] LoopUring* ring() const noexcept { return ring_.get(); }

private:
  std::unique_ptr<LoopUring> ring_;
  /// The ring's fd in the io_context's reactor: readable while completions are pending.
  std::optional<boost::asio::posix::stream_descriptor> watch_;
  bool watch_armed_ = false;
};

} // namespace coreio::detail
