// UringRead: a socket read through the calling loop's io_uring that completes
// an Asio handler exactly as Asio's own async_read_some would. This is core's
// read operation for io_uring (io/uring.hpp has the ring, io/uring_driver.hpp
// its place in the loop); net/'s stream transport starts it for TCP and Unix
// sockets when the loop has a ring (net/detail/stream_transport.hpp).
//
// Runs on the socket's loop thread only: started by an Asio initiation (which
// coreio always runs there) and completed by that loop's maintenance.
#pragma once

#include <cerrno>
#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/system/error_code.hpp>

#include "coreio/detail/uring.hpp"

namespace coreio::detail {

/// Sockets whose reads may go through the loop's io_uring (recv on the fd).
template <class S>
concept UringReadableSocket = std::derived_from<S, boost::asio::socket_base> && requires(S& s) {
  { s.native_handle() } -> std::convertible_to<int>;
  { s.is_open() } -> std::convertible_to<bool>;
};

/// One socket read through the loop's io_uring, completing an Asio handler
/// (a use_task handler) as Asio's own async_read_some would: same error
/// codes (eof for an orderly end, operation_aborted once cancelled), same
/// associated allocator and cancellation slot. Lives in memory from the
/// handler's allocator (use_task's inline block: no allocation).
template <class Handler>
class UringRead final : public UringOp {
public:
  /// Queues the read; `current` points at the op while it is in flight.
  /// If the ring has no room, gives the handler back for the reactor.
  static std::optional<Handler> start(LoopUring& ring, int fd, std::span<char> buf, UringOp*& current, Handler&& h) {
    Alloc alloc(boost::asio::get_associated_allocator(h));
    UringRead* op = std::allocator_traits<Alloc>::allocate(alloc, 1);
    new (op) UringRead(buf.size(), current, std::move(h));
    if (!uring_recv(ring, fd, buf.data(), buf.size(), *op)) return destroy(op);
    auto slot = boost::asio::get_associated_cancellation_slot(op->handler_);
    if (slot.is_connected()) slot.template emplace<Cancel>(&ring, op);
    current = op;
    return std::nullopt;
  }

private:
  using Alloc =
      typename std::allocator_traits<boost::asio::associated_allocator_t<Handler>>::template rebind_alloc<UringRead>;

  struct Cancel {
    // A constructor, not an aggregate: the slot emplaces it with parentheses.
    Cancel(LoopUring* r, UringOp* o) noexcept : ring(r), op(o) {}
    LoopUring* ring;
    UringOp* op;
    void operator()(boost::asio::cancellation_type) const noexcept { uring_cancel(*ring, *op); }
  };

  UringRead(std::size_t want, UringOp*& current, Handler&& h)
      : UringOp(&UringRead::done), want_(want), current_(&current), handler_(std::move(h)) {}

  static Handler destroy(UringRead* op) noexcept {
    Handler h = std::move(op->handler_);
    Alloc alloc(boost::asio::get_associated_allocator(h));
    op->~UringRead();
    std::allocator_traits<Alloc>::deallocate(alloc, op, 1);
    return h;
  }

  static void done(UringOp* self, int res) noexcept {
    auto* op = static_cast<UringRead*>(self);
    *op->current_ = nullptr;
    auto slot = boost::asio::get_associated_cancellation_slot(op->handler_);
    if (slot.is_connected()) slot.clear();
    const std::size_t want = op->want_;
    Handler h = destroy(op);
    boost::system::error_code ec;
    std::size_t n = 0;
    if (res > 0) n = static_cast<std::size_t>(res);
    else if (res == 0 && want > 0) ec = boost::asio::error::eof;
    else if (res == -ECANCELED) ec = boost::asio::error::operation_aborted;
    else if (res < 0) ec = boost::system::error_code(-res, boost::asio::error::get_system_category());
    std::move(h)(ec, n);
  }

  std::size_t want_;
  UringOp** current_;
  Handler handler_;
};

} // namespace coreio::detail
