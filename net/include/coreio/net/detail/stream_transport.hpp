// StreamTransport: the small type-erased byte stream under StreamReader and
// StreamWriter, and AsioStreamTransport<S>, its implementation over any Boost.Asio
// AsyncReadStream / AsyncWriteStream (TCP and Unix sockets, ssl::stream,
// posix::stream_descriptor for pipes, or a user's own stream type).
//
// # Threads
// Every Asio call on the stream happens on the stream's loop thread (the
// thread running its io_context), so a stream never needs a strand, and
// ssl::stream (whose engine is not thread-safe) works from any task:
//  - read_some() is called by a task on any loop; it goes through use_task's
//    run_task_op, which starts the read inline on the stream's loop thread or
//    posts it there, and suspends the task until the handler ran. For TCP
//    and Unix sockets, the read is started in that loop's io_uring when it
//    has one (coreio/detail/uring_read.hpp), else in Asio's
//    reactor; the handler, cancellation and errors are the same either way.
//  - Everything else is called on the loop thread (`on_loop()` is true, or
//    the call arrives through dispatch()). StreamWriter's state machine
//    (net/src/stream_core.cpp) is the only caller.
// info() is fixed when the transport is made and readable from any thread.
#pragma once

#include <any>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/system/error_code.hpp>

#include "coreio/detail/function.hpp"
#include "coreio/detail/uring_read.hpp"
#include "coreio/exceptions.hpp"
#include "coreio/net/address.hpp"
#include "coreio/net/exceptions.hpp"
#include "coreio/use_task.hpp"

namespace boost::asio::ssl {
class context;
}

namespace coreio::detail {

/// The executor of a loop's io_context, and the socket types net/ makes with
/// it: handlers then skip any_io_executor's type erasure and work counting.
using LoopExecutor = boost::asio::io_context::executor_type;
using TcpSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, LoopExecutor>;
using UnixSocket = boost::asio::basic_stream_socket<boost::asio::local::stream_protocol, LoopExecutor>;

/// A write finished (on the stream's loop thread).
using WriteDone = Function<void(const boost::system::error_code&, std::size_t)>;

/// What get_extra_info() reports; fixed at creation.
struct TransportInfo {
  std::optional<Address> peername = std::nullopt;
  std::optional<Address> sockname = std::nullopt;
  int fd = -1;
};

/// StreamWriter::start_tls's request (see tls.hpp).
struct TlsUpgrade {
  std::shared_ptr<boost::asio::ssl::context> context = nullptr;
  bool server_side = false;
  std::string server_hostname = {};
  bool check_hostname = false;
  std::chrono::nanoseconds handshake_timeout = std::chrono::seconds(60);
  std::chrono::nanoseconds shutdown_timeout = std::chrono::seconds(30);
};

class StreamTransport {
public:
  StreamTransport() = default;
  StreamTransport(const StreamTransport&) = delete;
  StreamTransport& operator=(const StreamTransport&) = delete;
  virtual ~StreamTransport() = default;

  // ---- from a task, on any loop ----

  /// Reads 1..buf.size() bytes, suspending the calling task; returns 0 at the
  /// end of the stream (or after this side closed it). Throws an OSError
  /// subclass (ConnectionResetError, ...) or CancelledError.
  virtual std::size_t read_some(std::span<char> buf) = 0;

  /// Upgrades the stream to TLS and runs the handshake, suspending the
  /// calling task; returns the TLS transport (this one is then empty). Only
  /// TCP and Unix socket transports support it (RuntimeError otherwise).
  virtual std::unique_ptr<StreamTransport> start_tls(const TlsUpgrade& how);

  /// Key lookup of get_extra_info() beyond info(): "ssl_object", "cipher"...
  [[nodiscard]] virtual std::any extra_info(std::string_view name) const;

  [[nodiscard]] const TransportInfo& info() const noexcept { return info_; }

  // ---- any thread ----

  /// True on the thread running the stream's io_context.
  [[nodiscard]] virtual bool on_loop() const noexcept = 0;
  /// Runs fn on the stream's loop thread: now if already there, else posted.
  virtual void dispatch(Function<void()> fn) = 0;

  // ---- on the stream's loop thread only ----

  /// Whether try_write_some() can write without blocking (plain sockets and
  /// descriptors; not TLS).
  [[nodiscard]] virtual bool can_try_write() const noexcept = 0;
  /// One non-blocking gather write; would_block if nothing could be written.
  virtual std::size_t try_write_some(std::span<const boost::asio::const_buffer> bufs,
                                     boost::system::error_code& ec) = 0;
  /// Starts one gather write; `bufs` must stay valid until `done` runs.
  virtual void async_write_some(std::span<const boost::asio::const_buffer> bufs, WriteDone done) = 0;
  /// Half-close (shutdown(SHUT_WR); closes a pipe's write end).
  [[nodiscard]] virtual bool can_write_eof() const noexcept = 0;
  virtual void shutdown_write(boost::system::error_code& ec) = 0;
  /// Orderly close (TLS: close_notify first, bounded); `done` runs on this thread.
  virtual void async_close(Function<void()> done) = 0;
  /// Closes now; pending operations end with operation_aborted.
  virtual void close_now() noexcept = 0;
  /// True once close_now()/async_close() closed the stream.
  [[nodiscard]] bool closed() const noexcept {
    // Acquire: pairs with the Release in mark_closed().
    return closed_.load(std::memory_order_acquire);
  }

protected:
  void mark_closed() noexcept {
    // Release: pairs with the Acquire in closed(); a reader whose read was
    // aborted by our close sees it and reports end-of-stream.
    closed_.store(true, std::memory_order_release);
  }

  TransportInfo info_;

private:
  std::atomic<bool> closed_{false};
};

// ---- endpoints to Address ----

template <class Endpoint>
[[nodiscard]] Address to_address(const Endpoint& ep) {
  if constexpr (requires { ep.address(); ep.port(); }) {
    return Address{.family = ep.address().is_v6() ? AF_INET6 : AF_INET,
                   .host = ep.address().to_string(),
                   .port = ep.port()};
  } else if constexpr (requires { ep.path(); }) {
    return Address{.family = AF_UNIX, .host = ep.path(), .port = 0};
  } else {
    return Address{};
  }
}

/// Address, fd of an Asio socket or descriptor (whatever it supports).
template <class Lowest>
[[nodiscard]] TransportInfo describe(Lowest& s) {
  TransportInfo info;
  boost::system::error_code ec;
  if constexpr (requires { s.remote_endpoint(ec); }) {
    auto peer = s.remote_endpoint(ec);
    if (!ec) info.peername = to_address(peer);
    auto local = s.local_endpoint(ec);
    if (!ec) info.sockname = to_address(local);
  }
  if constexpr (requires { s.native_handle(); }) info.fd = static_cast<int>(s.native_handle());
  return info;
}

/// Streams that take non-blocking synchronous writes (sockets, descriptors).
template <class S>
concept NonBlockingStream = requires(S& s, boost::system::error_code& ec, std::span<const boost::asio::const_buffer> b) {
  s.non_blocking(true, ec);
  { s.write_some(b, ec) } -> std::convertible_to<std::size_t>;
};

/// A stand-in completion handler for the concepts below.
struct ProbeHandler {
  void operator()(boost::system::error_code, std::size_t) const {}
};
template <class S>
concept AsyncReadable = requires(S& s, boost::asio::mutable_buffer b) { s.async_read_some(b, ProbeHandler{}); };
template <class S>
concept AsyncWritable = requires(S& s, boost::asio::const_buffer b) { s.async_write_some(b, ProbeHandler{}); };

/// Reports an error from a read: end of stream, our own close, or an OSError.
/// Returns true for "end of stream".
bool read_error_is_eof(const boost::system::error_code& ec, bool closed_by_us);

/// start_tls for the socket types coreio makes (net/src/tls.cpp).
template <class Socket>
std::unique_ptr<StreamTransport> make_tls_transport(Socket&& sock, const TlsUpgrade& how);

template <class S>
inline constexpr bool tls_upgradable_v = false;
template <>
inline constexpr bool tls_upgradable_v<boost::asio::ip::tcp::socket> = true;
template <>
inline constexpr bool tls_upgradable_v<boost::asio::local::stream_protocol::socket> = true;
template <>
inline constexpr bool tls_upgradable_v<TcpSocket> = true;
template <>
inline constexpr bool tls_upgradable_v<UnixSocket> = true;

/// AsioStreamTransport<S>: a StreamTransport over an Asio stream.
template <class S>
class AsioStreamTransport : public StreamTransport {
public:
  using executor_type = typename S::executor_type;

  explicit AsioStreamTransport(S&& s)
      : stream_(std::move(s)), ex_(stream_.get_executor()),
        ctx_(&boost::asio::query(ex_, boost::asio::execution::context)) {
    if constexpr (NonBlockingStream<S>) {
      // Set now, before the stream is shared: Asio then never rewrites the
      // socket's state flags from another thread, and try_write_some() gets
      // would_block instead of blocking the loop.
      boost::system::error_code ec;
      stream_.non_blocking(true, ec);
      nonblocking_ = !ec;
    }
    info_ = describe(stream_.lowest_layer());
  }

  ~AsioStreamTransport() override = default;

  std::size_t read_some(std::span<char> buf) override {
    if constexpr (!AsyncReadable<S>) throw RuntimeError("this stream cannot be read");
    check_cancel();
    TaskOp<boost::system::error_code, std::size_t> op;
    op.use_signal(read_signal_); // reads are one at a time: reuse the slot's memory
    ReadInit init{this, buf};
    const TaskOpEnd end = run_task_op(op, TaskOpClock::time_point::max(), init); // on the stream's loop thread
    auto& [ec, n] = op.values();
    if (!ec) return n;
    TaskOpBase::raise_if_stopped(end);
    if (read_error_is_eof(ec, closed())) return 0;
    throw_os_error(ec, "read");
  }

  std::unique_ptr<StreamTransport> start_tls(const TlsUpgrade& how) override {
    if constexpr (tls_upgradable_v<S>) {
      auto moved = std::move(stream_);
      mark_closed();
      return make_tls_transport(std::move(moved), how);
    } else {
      return StreamTransport::start_tls(how);
    }
  }

  [[nodiscard]] bool on_loop() const noexcept override { return on_loop_of(*ctx_); }

  void dispatch(Function<void()> fn) override {
    if (on_loop()) fn();
    else boost::asio::post(ex_, std::move(fn));
  }

  [[nodiscard]] bool can_try_write() const noexcept override { return nonblocking_; }

  std::size_t try_write_some(std::span<const boost::asio::const_buffer> bufs, boost::system::error_code& ec) override {
    if constexpr (NonBlockingStream<S>) {
      return stream_.write_some(bufs, ec);
    } else {
      ec = boost::asio::error::would_block;
      return 0;
    }
  }

  void async_write_some(std::span<const boost::asio::const_buffer> bufs, WriteDone done) override {
    if constexpr (AsyncWritable<S>) {
      stream_.async_write_some(bufs, [done = std::move(done)](const boost::system::error_code& ec, std::size_t n) mutable {
        done(ec, n);
      });
    } else {
      boost::asio::post(ex_, [done = std::move(done)]() mutable { done(boost::asio::error::operation_not_supported, 0); });
    }
  }

  [[nodiscard]] bool can_write_eof() const noexcept override {
    return requires(S& s, boost::system::error_code& ec) { s.shutdown(boost::asio::socket_base::shutdown_send, ec); } ||
           requires(S& s, boost::system::error_code& ec) { s.close(ec); };
  }

  void shutdown_write(boost::system::error_code& ec) override {
    if constexpr (requires { stream_.shutdown(boost::asio::socket_base::shutdown_send, ec); }) {
      stream_.shutdown(boost::asio::socket_base::shutdown_send, ec);
    } else if constexpr (requires { stream_.close(ec); }) {
      stream_.close(ec); // a pipe's write end: EOF for the reader is the close
    } else {
      ec = boost::asio::error::operation_not_supported;
    }
  }

  void async_close(Function<void()> done) override {
    close_now();
    done();
  }

  void close_now() noexcept override {
    mark_closed();
    // A read in the io_uring holds its own reference to the socket, so
    // closing the fd would neither end it nor close the connection: cancel
    // it first (it then ends with operation_aborted, read as end-of-stream).
    if (uring_read_)
      if (LoopUring* ring = current_uring()) uring_cancel(*ring, *uring_read_);
    boost::system::error_code ec;
    stream_.lowest_layer().close(ec);
  }

  S& stream() noexcept { return stream_; }

protected:
  /// The read initiation for run_task_op (it reaches the loop thread through get_executor()).
  struct ReadInit {
    AsioStreamTransport* self;
    std::span<char> buf;
    executor_type get_executor() const { return self->ex_; }
    template <class Handler>
    void operator()(Handler&& h) {
      if constexpr (UringReadableSocket<S>) {
        // On the stream's loop thread (run_task_op), so this is its ring.
        LoopUring* ring = current_uring();
        if (ring && self->stream_.is_open()) {
          auto back = UringRead<std::decay_t<Handler>>::start(*ring, static_cast<int>(self->stream_.native_handle()),
                                                              buf, self->uring_read_, std::move(h));
          if (!back) return;
          self->stream_.async_read_some(boost::asio::buffer(buf.data(), buf.size()), std::move(*back));
          return;
        }
      }
      if constexpr (AsyncReadable<S>)
        self->stream_.async_read_some(boost::asio::buffer(buf.data(), buf.size()), std::forward<Handler>(h));
    }
  };

  S stream_;
  executor_type ex_;
  const boost::asio::execution_context* ctx_;
  bool nonblocking_ = false;
  /// Cancellation signal of the read in flight (the reader reads one at a time).
  boost::asio::cancellation_signal read_signal_;
  /// The read in flight in the loop's io_uring, if any (loop thread only).
  UringOp* uring_read_ = nullptr;
};

} // namespace coreio::detail
