// LoopUring (see uring.hpp).
#include "io/uring.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "runtime/log.hpp"
#include "sched/loop_impl.hpp"

namespace coreio::detail {

namespace {
/// user_data of SQEs whose completion nobody waits for (cancel requests).
constexpr std::uint64_t no_op = 0;
/// Completion ring size (entries of 16 bytes).
constexpr unsigned cq_entries = 16 * 1024;
} // namespace

std::unique_ptr<LoopUring> LoopUring::create(unsigned entries) {
  std::unique_ptr<LoopUring> u(new LoopUring);
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
                 IORING_SETUP_CQSIZE;
  // Room for a completion per read of many thousand connections; past it the
  // kernel keeps completions on its overflow list (IORING_SQ_CQ_OVERFLOW).
  params.cq_entries = cq_entries;
  if (const int rc = io_uring_queue_init_params(entries, &u->ring_, &params); rc < 0) {
    log().debug("io_uring with DEFER_TASKRUN unavailable ({}): socket reads use the epoll reactor",
                std::strerror(-rc));
    return nullptr;
  }
  // The reads rely on fast poll (5.7+): a read on an empty socket waits
  // for data in the kernel instead of occupying an io-wq worker thread.
  const char* missing = !(params.features & IORING_FEAT_FAST_POLL) ? "IORING_FEAT_FAST_POLL" : nullptr;
  if (!missing) {
    u->event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (u->event_fd_ < 0 || io_uring_register_eventfd(&u->ring_, u->event_fd_) < 0) missing = "an eventfd";
  }
  if (missing) {
    log().debug("io_uring without {}: socket reads use the epoll reactor", missing);
    if (u->event_fd_ >= 0) ::close(u->event_fd_);
    io_uring_queue_exit(&u->ring_);
    return nullptr;
  }
  u->wakeups(false);
  return u;
}

void LoopUring::wakeups(bool on) noexcept {
  io_uring_cq_eventfd_toggle(&ring_, on);
  // SeqCst: the kernel adds completion work, sets IORING_SQ_TASKRUN (a locked
  // RMW) and then reads the eventfd switch; we write the switch and then read
  // IORING_SQ_TASKRUN. With a full fence on each side, one of us sees the other.
  if (on) std::atomic_thread_fence(std::memory_order_seq_cst);
}

LoopUring::~LoopUring() {
  // Cancel what is in flight and wait for it (see "Cancellation and teardown").
  for (UringOp* op = head_; op; op = op->next) cancel(*op);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (head_) {
    __kernel_timespec ts{.tv_sec = 0, .tv_nsec = 10'000'000};
    io_uring_cqe* cqe = nullptr;
    io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    reap();
    if (head_ && std::chrono::steady_clock::now() > give_up) {
      // Never seen; closing the ring now could let the kernel write into
      // freed buffers, so the ring is leaked instead.
      log().error("io_uring: operations still in flight 10 s after cancelling them; leaking the ring");
      return;
    }
  }
  io_uring_unregister_eventfd(&ring_);
  ::close(event_fd_);
  io_uring_queue_exit(&ring_);
}

io_uring_sqe* LoopUring::sqe() noexcept {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (!s) {
    submit();
    s = io_uring_get_sqe(&ring_);
    if (!s) return nullptr; // the kernel refused the batch (logged by enter())
  }
  ++queued_;
  return s;
}

void LoopUring::track(io_uring_sqe* sqe, UringOp& op) noexcept {
  io_uring_sqe_set_data(sqe, &op);
  op.in_flight = true;
  op.prev = nullptr;
  op.next = head_;
  if (head_) head_->prev = &op;
  head_ = &op;
}

void LoopUring::submit() noexcept {
  if (queued_ == 0) return;
  enter();
}

void LoopUring::enter() noexcept {
  // Submits the batch and runs the deferred completion work. Never reaps:
  // enter() also runs inside a cancellation (uring_cancel, called by a
  // use_task emitter), where completing ops could destroy the very slot
  // handler that is running.
  int rc;
  do rc = io_uring_submit_and_get_events(&ring_);
  while (rc == -EINTR);
  ++submitted_;
  if (rc == -EAGAIN || rc == -EBUSY) {
    // The kernel is short of memory or the completion ring is full: the
    // entries stay queued, the pass reaps, and the next pass submits them.
    log().debug("io_uring_enter: {}; retried at the next pass", std::strerror(-rc));
    return;
  }
  if (rc < 0) log().error("io_uring_enter: {}", std::strerror(-rc));
  queued_ = 0;
}

std::size_t LoopUring::pass() {
  if (queued_ > 0 || kernel_work()) enter();
  return reap();
}

std::size_t LoopUring::reap() noexcept {
  std::size_t n = 0;
  io_uring_cqe* cqe = nullptr;
  // One CQE at a time: a completion may queue new SQEs (never reap), and the
  // head advances before the op runs, so the op may be reused at once.
  while (io_uring_peek_cqe(&ring_, &cqe) == 0 && cqe) {
    const std::uint64_t data = cqe->user_data;
    const int res = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    if (data == no_op) continue;
    auto* op = reinterpret_cast<UringOp*>(static_cast<std::uintptr_t>(data));
    if (op->prev) op->prev->next = op->next;
    else head_ = op->next;
    if (op->next) op->next->prev = op->prev;
    op->prev = op->next = nullptr;
    op->in_flight = false;
    ++n;
    op->complete(op, res);
  }
  return n;
}

void LoopUring::cancel(UringOp& op) noexcept {
  if (!op.in_flight) return;
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (!s) {
    submit();
    s = io_uring_get_sqe(&ring_);
    if (!s) {
      log().error("io_uring: no room for a cancellation; the operation completes on its own");
      return;
    }
  }
  io_uring_prep_cancel64(s, reinterpret_cast<std::uintptr_t>(&op), 0);
  io_uring_sqe_set_data64(s, no_op);
  ++queued_;
  submit();
}

// ---------------------------------------------------------------- the API of coreio/detail/uring.hpp

LoopUring* current_uring() noexcept {
  LoopImpl* l = current_loop();
  return l ? l->uring() : nullptr;
}

bool uring_recv(LoopUring& ring, int fd, void* buf, std::size_t len, UringOp& op) noexcept {
  io_uring_sqe* s = ring.sqe();
  if (!s) return false;
  io_uring_prep_recv(s, fd, buf, len, 0);
  ring.track(s, op);
  return true;
}

void uring_cancel(LoopUring& ring, UringOp& op) noexcept { ring.cancel(op); }

} // namespace coreio::detail
