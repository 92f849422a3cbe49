// StreamReader / StreamWriter: asyncio's streams, over any Boost.Asio stream.
//
//     auto [reader, writer] = coreio::open_connection("127.0.0.1", 8888);
//     writer.write("ping\n");
//     writer.drain();
//     std::string line = reader.readline();
//     writer.close();
//     writer.wait_closed();
//
// A reader and a writer share one transport (detail::StreamTransport): a TCP
// or Unix socket, a TLS stream, a pipe, or any Asio AsyncReadStream /
// AsyncWriteStream given to make_stream_pair(). Subprocess pipes use
// make_stream_reader / make_stream_writer over a posix::stream_descriptor.
//
// # Reading
// The reader is pull-driven: a read call that finds its buffer short reads
// from the transport itself (up to 64 KiB at a time, growing to 256 KiB for
// bulk data), suspending the calling task until bytes arrive. Nothing is read
// ahead of demand, so the buffer never grows past what a call needs plus one
// read (asyncio's "pause reading above 2 x limit" holds by construction).
// Bytes a cancelled read already received stay in the buffer.
//
// # Writing
// write() never suspends. On the stream's loop thread, with nothing queued,
// it writes straight to the socket (one non-blocking send); what the kernel
// does not take, or any write from another thread, is queued, and a flusher
// on the loop thread sends it, coalescing small writes into gather writes.
// drain() suspends while the queue is above the high-water mark (64 KiB)
// until it falls to the low-water mark (high / 4), asyncio's flow control:
// a writer that outruns a slow peer waits instead of buffering without bound.
//
// # Closing
// close() flushes what is queued, then closes (TLS: close_notify first);
// abort() closes at once and drops the queue. Dropping the last handle of a
// stream (reader and writer alike) closes it the way close() does.
//
// Thread safety: handles are shared pointers; copies refer to the same
// stream. Distinct streams: safe. One stream: the writer's members are safe
// from any task on any loop; the reader must be used by one task at a time
// (a second concurrent read raises RuntimeError, as in asyncio).
// Resumes on: a task waiting in a read or in drain()/wait_closed() is woken
// from the stream's loop thread and resumes where the scheduler queues it
// (the stream's loop unless the task is pinned elsewhere).
// Cancellation: a cancelled read raises CancelledError; bytes already
// received stay buffered for the next read. A cancelled drain() or
// wait_closed() raises CancelledError and leaves the stream as it was.
// Throws: see each member.
#pragma once

#include <any>
#include <chrono>
#include <cstddef>
#include <exception>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "coreio/net/detail/stream_transport.hpp"
#include "coreio/net/exceptions.hpp"
#include "coreio/net/tls.hpp"

namespace coreio {

/// Options of a stream pair: asyncio's `limit=` and the transport's write
/// buffer limits (set_write_buffer_limits).
struct StreamOptions {
  /// Buffer limit for readline()/readuntil() (asyncio's limit=, 2**16).
  /// Must be > 0 (ValueError).
  std::size_t limit = 64 * 1024;
  /// drain() waits while more than this is queued (asyncio's default high-water mark, 64 KiB).
  std::size_t write_high_water = 64 * 1024;
  /// ... until the queue falls to this (default: write_high_water / 4).
  std::optional<std::size_t> write_low_water = std::nullopt;
};

/// StreamWriter::start_tls options (asyncio's keyword arguments).
struct StartTlsOptions {
  /// SNI and the name checked against the certificate (client side).
  std::string server_hostname = {};
  /// Default 60 s (asyncio's). TimeoutError when exceeded.
  std::optional<std::chrono::nanoseconds> ssl_handshake_timeout = std::nullopt;
  /// Default 30 s (asyncio's): how long close() waits for the peer's close_notify.
  std::optional<std::chrono::nanoseconds> ssl_shutdown_timeout = std::nullopt;
};

class StreamReader;
class StreamWriter;

namespace detail {
class StreamCore;
/// A user-visible reference to a stream: closes it when the last one goes.
struct StreamHandle;
/// net/src's way in to the handles' internals.
struct StreamAccess;

/// The non-template half of make_stream_pair (net/src/streams.cpp).
std::pair<StreamReader, StreamWriter> make_streams(std::unique_ptr<StreamTransport> transport, StreamOptions opts,
                                                   bool server_side = false);
} // namespace detail

class StreamReader {
public:
  /// A reader with no transport, fed by feed_data()/feed_eof() (asyncio's
  /// StreamReader(limit=...), as a protocol would feed it). Throws ValueError
  /// if opts.limit == 0.
  explicit StreamReader(StreamOptions opts = {});

  /// Up to n bytes (n > 0): waits for at least one, returns "" at EOF.
  /// n == 0 returns "" at once; n < 0 reads until EOF.
  /// Throws: the connection's OSError (ConnectionResetError, ...), the
  /// exception given to set_exception(), CancelledError, RuntimeError if
  /// another task is already reading.
  std::string read(std::ptrdiff_t n = -1);

  /// One line, "\n" included; the partial last line at EOF; "" at EOF.
  /// Throws ValueError for a line longer than limit (the line is discarded
  /// if its end was found, else the buffer is cleared), and as read().
  std::string readline();

  /// Exactly n bytes. Throws IncompleteReadError (with the bytes read, which
  /// leave the buffer) if EOF comes first, and as read().
  std::string readexactly(std::size_t n);

  /// Data up to and including `separator`. Throws ValueError for an empty
  /// separator, IncompleteReadError at EOF (the buffer becomes its partial),
  /// LimitOverrunError if the separator is not found within limit bytes (the
  /// data stays buffered), and as read().
  std::string readuntil(std::string_view separator = "\n");
  /// asyncio 3.13's tuple of separators: the match that ends first wins.
  std::string readuntil(std::initializer_list<std::string_view> separators);

  /// coreio extension: reads 1..buf.size() bytes into buf without a copy into
  /// a std::string (0 at EOF). Throws as read().
  std::size_t read_into(std::span<char> buf);

  /// True when the buffer is empty and EOF was seen.
  [[nodiscard]] bool at_eof() const;
  [[nodiscard]] std::exception_ptr exception() const;
  /// Later reads raise e. A task blocked in a feed-mode read wakes; with a
  /// transport the exception is raised by the next read call.
  void set_exception(std::exception_ptr e);

  /// Protocol side of a transport-less reader (asyncio's feed_data/feed_eof).
  /// Thread-safe. RuntimeError on a reader that has a transport.
  void feed_data(std::string_view data);
  void feed_eof();

  [[nodiscard]] std::size_t limit() const noexcept;

  /// `async for line in reader`: `for (const std::string& line : reader.lines())`.
  class LineRange;
  [[nodiscard]] LineRange lines();

  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

private:
  friend struct detail::StreamAccess;
  explicit StreamReader(std::shared_ptr<detail::StreamHandle> h);
  [[nodiscard]] detail::StreamCore& core() const;

  std::shared_ptr<detail::StreamHandle> handle_;
};

class StreamReader::LineRange {
public:
  class iterator {
  public:
    using value_type = std::string;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(StreamReader* r) : r_(r) { ++*this; }
    const std::string& operator*() const noexcept { return line_; }
    iterator& operator++() {
      line_ = r_->readline();
      if (line_.empty()) r_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return it.r_ == nullptr; }

  private:
    StreamReader* r_ = nullptr;
    std::string line_;
  };
  explicit LineRange(StreamReader& r) : r_(&r) {}
  iterator begin() { return iterator(r_); }
  std::default_sentinel_t end() const noexcept { return {}; }

private:
  StreamReader* r_;
};

inline StreamReader::LineRange StreamReader::lines() { return LineRange(*this); }

class StreamWriter {
public:
  StreamWriter() = default;

  /// Queues data; never suspends (see "Writing" above). Ignored once the
  /// stream is closing or lost (asyncio's behaviour; drain() reports it).
  /// Throws RuntimeError after write_eof().
  void write(std::string_view data);

  /// write() for each element of a range of string-like values.
  template <std::ranges::input_range R>
    requires std::convertible_to<std::ranges::range_reference_t<R>, std::string_view>
  void writelines(R&& lines) {
    for (auto&& l : lines) write(std::string_view(l));
  }

  /// Waits while the write queue is above the high-water mark.
  /// Throws: the connection's OSError if it was lost (ConnectionResetError
  /// "Connection lost" if it closed), the reader's exception, CancelledError.
  void drain();
  /// coreio extension: drain() that gives up after `timeout` with
  /// TimeoutError (the queued data stays queued), so a peer that never reads
  /// cannot hold the writer forever.
  void drain(std::chrono::nanoseconds timeout);

  [[nodiscard]] bool can_write_eof() const;
  /// Half-close after the queue is flushed (shutdown(SHUT_WR)); the reader
  /// stays usable. Throws RuntimeError if the transport cannot (TLS).
  void write_eof();

  /// Flush what is queued, then close. Idempotent; never suspends.
  void close();
  /// asyncio's transport.abort(): close now, dropping the queue.
  void abort();
  /// Waits until the stream is closed. Throws the error that broke the
  /// connection, if one did (asyncio's behaviour), or CancelledError.
  void wait_closed();
  [[nodiscard]] bool is_closing() const;

  /// "peername", "sockname" (Address), "socket" (int fd), and for TLS
  /// "ssl_object" (SSL*), "cipher" (std::string), "peercert" (X509*, the
  /// peer's certificate or nullptr), "sslcontext" (SSLContext).
  /// Unknown or unavailable keys give `default_value`.
  [[nodiscard]] std::any get_extra_info(std::string_view name, std::any default_value = {}) const;

  /// asyncio 3.11's start_tls: flushes, then upgrades the stream in place
  /// (client or server side as the stream was made) and runs the handshake.
  /// Throws RuntimeError if the reader holds unread data or the transport
  /// cannot be upgraded, TimeoutError, OSError/system_error for a failed
  /// handshake, CancelledError.
  void start_tls(const SSLContext& context, StartTlsOptions opts = {});

  /// Bytes queued and not yet taken by the kernel.
  [[nodiscard]] std::size_t get_write_buffer_size() const;
  /// asyncio's transport.set_write_buffer_limits(high, low).
  void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                               std::optional<std::size_t> low = std::nullopt);

  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

private:
  friend struct detail::StreamAccess;
  explicit StreamWriter(std::shared_ptr<detail::StreamHandle> h);
  [[nodiscard]] detail::StreamCore& core() const;

  std::shared_ptr<detail::StreamHandle> handle_;
};

/// A reader and a writer over any Boost.Asio stream, which moves into the
/// pair. The stream's io_context decides the loop that drives it.
template <class AsyncStream>
  requires(!std::is_lvalue_reference_v<AsyncStream>)
std::pair<StreamReader, StreamWriter> make_stream_pair(AsyncStream&& stream, StreamOptions opts = {}) {
  return detail::make_streams(std::make_unique<detail::AsioStreamTransport<AsyncStream>>(std::move(stream)), opts);
}

/// A reader alone (e.g. a subprocess's stdout over a posix::stream_descriptor).
template <class AsyncReadStream>
  requires(!std::is_lvalue_reference_v<AsyncReadStream>)
StreamReader make_stream_reader(AsyncReadStream&& stream, StreamOptions opts = {}) {
  return make_stream_pair(std::move(stream), opts).first;
}

/// A writer alone (e.g. a subprocess's stdin). write_eof() closes a pipe.
template <class AsyncWriteStream>
  requires(!std::is_lvalue_reference_v<AsyncWriteStream>)
StreamWriter make_stream_writer(AsyncWriteStream&& stream, StreamOptions opts = {}) {
  return make_stream_pair(std::move(stream), opts).second;
}

} // namespace coreio
