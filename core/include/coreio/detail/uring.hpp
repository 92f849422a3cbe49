// The loop's io_uring, for net/'s socket reads: the loop-thread API.
//
// Each loop thread may own one io_uring (core/src/io/uring.hpp) beside its
// io_context. net/ queues a socket read there instead of in Asio's epoll
// reactor: the read then needs no readiness event and no recv() syscall of its
// own. The loop submits every operation queued during a pass in one
// io_uring_enter() (at its next maintenance, or before it parks) and reaps the
// completions from the shared completion ring without a syscall; a parked loop
// is woken through the ring's fd, which its io_context watches. That is how a
// round trip of the echo row costs one send() plus a share of a batched
// submission instead of Asio's recv() + send() + a share of epoll_wait().
//
// Everything here runs on the loop thread that owns the ring: ops are queued
// by Asio initiations (which coreio always runs on the I/O object's loop
// thread) and completed by that loop's maintenance.
#pragma once

#include <cstddef>

namespace coreio::detail {

class LoopUring;

/// One io_uring operation in flight. The submitter keeps it, and the buffer
/// it names, alive until `complete` ran; `complete` is called exactly once, on
/// the loop thread, with the operation's result (bytes, or -errno; -ECANCELED
/// after uring_cancel()). At teardown the ring cancels what is still in
/// flight and waits for it, so `complete` still runs.
struct UringOp {
  using Complete = void (*)(UringOp* self, int result) noexcept;
  explicit UringOp(Complete c) noexcept : complete(c) {}
  UringOp(const UringOp&) = delete;
  UringOp& operator=(const UringOp&) = delete;

  Complete complete;
  // The ring's in-flight list (for teardown), and whether the op is on it.
  UringOp* prev = nullptr;
  UringOp* next = nullptr;
  bool in_flight = false;
};

/// The calling loop thread's ring; nullptr off a loop, or when io_uring is
/// unavailable (old kernel, seccomp) or disabled (RuntimeConfig::io_uring,
/// COREIO_IO_URING=0): callers then use Asio's reactor.
[[nodiscard]] LoopUring* current_uring() noexcept;

/// Queues a recv(fd, buf, len) on `ring` (the calling loop's). Submitted with
/// the loop's next batch. False, with nothing queued, if the ring has no room
/// even after submitting (the caller then uses the reactor).
[[nodiscard]] bool uring_recv(LoopUring& ring, int fd, void* buf, std::size_t len, UringOp& op) noexcept;

/// Asks the kernel to stop `op` (submitted at once): a read still waiting for
/// data completes with -ECANCELED. Does nothing if `op` already completed.
void uring_cancel(LoopUring& ring, UringOp& op) noexcept;

} // namespace coreio::detail
