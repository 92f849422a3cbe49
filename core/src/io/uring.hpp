// LoopUring: one loop thread's io_uring (see coreio/detail/uring.hpp for what
// it is for and the API net/ uses).
//
// # Life of an operation
//  1. An initiation on the loop thread takes an SQE (sqe()), fills it, and
//     track()s the op: user_data is the UringOp's address. Nothing is
//     submitted yet.
//  2. The loop's maintenance and park() call pass(): one io_uring_enter()
//     submits everything queued since the last pass (the batch) and runs the
//     kernel's deferred completion work; then every completion is reaped from
//     the shared completion ring and its op's `complete` is called (which
//     wakes the waiting task). With nothing queued and no completion work
//     pending (IORING_SQ_TASKRUN and IORING_SQ_CQ_OVERFLOW clear), a pass
//     makes no syscall.
//  3. A parked loop sleeps in its io_context's epoll_wait. While ops are in
//     flight it first arms an async_wait on the ring's eventfd, which the
//     kernel signals when completion work arrives for an idle ring, so a
//     completion wakes the loop. The eventfd is switched on only for the
//     park (IORING_CQ_EVENTFD_DISABLED otherwise): the kernel also signals
//     it for every completion a pass posts, and each of those would be a
//     spurious wake-up at the next park (measured: 6 parks per round trip
//     with two loops, against under one with the switch).
//
// # Why DEFER_TASKRUN
// The ring is set up with IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN |
// TASKRUN_FLAG (Linux 6.1+). Without DEFER_TASKRUN the kernel interrupts the
// loop thread (task_work with TWA_SIGNAL) for every completion; measured on
// the echo row with a bare io_uring server, that cost 6.77 us of server CPU
// per round trip against 5.07 us with it. A kernel without it makes create()
// return nullptr, and the loop uses Asio's epoll reactor alone.
//
// # Cancellation and teardown
// uring_cancel() submits an ASYNC_CANCEL for the op's user_data at once; the
// op then completes with -ECANCELED (or with its result, if it won the race).
// The destructor (loop thread, after the loop stopped) cancels everything in
// flight and reaps until nothing is, so no kernel write can land in a buffer
// after its owner is gone, and every op's `complete` runs.
//
// A kernel or a seccomp profile that refuses io_uring likewise leaves the
// loop without a ring.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <memory>

#include "coreio/detail/uring.hpp"

namespace coreio::detail {

class LoopUring {
public:
  /// A ring with `entries` submission slots, or nullptr (logged at debug level).
  static std::unique_ptr<LoopUring> create(unsigned entries);
  ~LoopUring();
  LoopUring(const LoopUring&) = delete;
  LoopUring& operator=(const LoopUring&) = delete;

  /// A free SQE; submits the queued batch first if the ring is full.
  /// nullptr if even that left no room (the kernel refused the batch).
  io_uring_sqe* sqe() noexcept;
  /// Step 1's tail: `op` is in flight with the SQE just filled.
  void track(io_uring_sqe* sqe, UringOp& op) noexcept;
  /// Step 2. Returns the number of completions handled.
  std::size_t pass();
  /// Submits what is queued, if anything (no reaping).
  void submit() noexcept;
  void cancel(UringOp& op) noexcept;

  /// The eventfd the kernel signals when completion work arrives (step 3).
  [[nodiscard]] int event_fd() const noexcept { return event_fd_; }
  [[nodiscard]] bool in_flight() const noexcept { return head_ != nullptr; }
  /// Step 3: the eventfd signals only between wakeups(true) and
  /// wakeups(false). Switching it on is followed by a full fence, so a
  /// work_pending() check after it and the kernel's signal cannot both miss.
  void wakeups(bool on) noexcept;
  /// Completions posted, completion work waiting for the next pass, or
  /// entries a refused submission left queued (the next pass retries them).
  [[nodiscard]] bool work_pending() const noexcept {
    return queued_ > 0 || io_uring_cq_ready(&ring_) > 0 || kernel_work();
  }
  [[nodiscard]] std::size_t submitted() const noexcept { return submitted_; }

private:
  LoopUring() = default;
  /// Work only an io_uring_enter() does: deferred completion work
  /// (IORING_SQ_TASKRUN) or completions parked on the overflow list.
  [[nodiscard]] bool kernel_work() const noexcept {
    return (IO_URING_READ_ONCE(*ring_.sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0;
  }
  std::size_t reap() noexcept;
  void enter() noexcept;

  io_uring ring_{};
  int event_fd_ = -1;
  UringOp* head_ = nullptr;
  std::size_t queued_ = 0;    ///< SQEs filled since the last submit
  std::size_t submitted_ = 0; ///< io_uring_enter calls (metrics)
};

} // namespace coreio::detail
