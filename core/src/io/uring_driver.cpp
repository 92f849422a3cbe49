// UringDriver (uring_driver.hpp).
#include "io/uring_driver.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "io/uring.hpp"
#include "runtime/log.hpp"
#include "sched/loop_impl.hpp"

namespace coreio::detail {

UringDriver::UringDriver() noexcept = default;
UringDriver::~UringDriver() { stop(); }

void UringDriver::start(boost::asio::io_context& io, std::size_t loop_index, bool enabled) {
  if (!enabled) return;
  ring_ = LoopUring::create(uring_entries);
  if (!ring_) return;
  try {
    // A dup: the stream_descriptor closes its fd, the ring closes its own.
    const int fd = ::fcntl(ring_->event_fd(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "dup");
    try {
      watch_.emplace(io, fd);
    } catch (...) {
      ::close(fd);
      throw;
    }
  } catch (const std::exception& e) {
    log().warn("loop {}: cannot watch the io_uring eventfd ({}); socket reads use the epoll reactor", loop_index,
               e.what());
    ring_.reset();
  }
}

void UringDriver::stop() noexcept {
  if (!ring_) return;
  watch_.reset();
  ring_.reset(); // cancels and reaps what is still in flight (uring.hpp)
}

void UringDriver::pass(LoopCounters& counters) {
  if (!ring_) return;
  const std::size_t n = ring_->pass();
  if (n) counters.bump(counters.uring_completions, n);
  counters.uring_submits.store(ring_->submitted(), std::memory_order_relaxed);
}

bool UringDriver::prepare_park() {
  if (!ring_) return false;
  ring_->submit();
  if (!ring_->in_flight()) return false;
  if (!watch_armed_) {
    watch_armed_ = true;
    watch_->async_wait(boost::asio::posix::descriptor_base::wait_read, [this](const boost::system::error_code& ec) {
      watch_armed_ = false;
      // Reset the count: Asio re-arms a wait with EPOLL_CTL_MOD, which
      // reports a still-readable eventfd at once (a wake-up per park).
      std::uint64_t count = 0;
      if (!ec) (void)!::read(watch_->native_handle(), &count, sizeof count);
    });
  }
  ring_->wakeups(true);
  return ring_->work_pending();
}

void UringDriver::after_park() noexcept {
  if (ring_) ring_->wakeups(false);
}

} // namespace coreio::detail
