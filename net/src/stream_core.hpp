// StreamCore: the shared state behind one StreamReader / StreamWriter pair.
//
// # Reader (one task at a time)
// `rbuf_` is touched only by the reading task (asyncio allows one reader at a
// time; `reading_` turns a second concurrent one into RuntimeError). fill()
// reads once from the transport into it, or, for a transport-less reader,
// waits for feed_data()/feed_eof() (their bytes pass through `fed_` under mu_).
//
// # Writer (any task, any loop)
// The write queue is a deque of chunks under `mu_`. `flusher_` is the flusher
// token: whoever sets it (under mu_) owns the transport's write side until it
// clears it. The protocol:
//  1. write() with no token, an empty queue, on the stream's loop thread and
//     a transport that can write without blocking: takes the token, sends
//     directly (no lock held), then queues the unsent tail, if any, in front
//     of whatever other tasks queued meanwhile, and starts the flusher.
//  2. Otherwise write() appends (into the last chunk when it is not being
//     written) and, if nobody holds the token, takes it and dispatches
//     flush_on_loop() to the loop thread.
//  3. The flusher (loop thread) writes the first chunks as one gather write
//     (`in_flight_` of them: nobody else touches those), first without
//     blocking, then as an Asio write if the socket is full, and repeats
//     until the queue is empty; then it releases the token and settles:
//     a requested write_eof() or close() happens now, in queue order.
//  4. Flow control: `flow_` is paused when the queue passes the high-water
//     mark and cleared when it falls to the low-water mark; drain() waits
//     while it is set (asyncio's pause_writing / resume_writing).
//  5. Errors (a failed write or read) mark the connection lost, close the
//     transport and wake every waiter; later drain()s raise the error.
//     Chunks being written are freed only by the flusher, after the write
//     returns (an abort() keeps them until the aborted write completes).
// Every state change that a waiter may care about fires `waiters_`.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>

#include "coreio/detail/function.hpp"
#include "coreio/net/detail/stream_transport.hpp"
#include "coreio/net/streams.hpp"
#include "state_waiters.hpp"

namespace coreio::detail {

/// A growable byte buffer with a consumed prefix; never zero-fills.
class ByteBuffer {
public:
  [[nodiscard]] std::size_t size() const noexcept { return end_ - begin_; }
  [[nodiscard]] bool empty() const noexcept { return end_ == begin_; }
  [[nodiscard]] const char* data() const noexcept { return data_.get() + begin_; }
  [[nodiscard]] std::string_view view() const noexcept { return {data(), size()}; }
  void consume(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void clear() noexcept { begin_ = end_ = 0; }
  /// Free space of at least `n` bytes at the end.
  std::span<char> prepare(std::size_t n);
  void commit(std::size_t n) noexcept { end_ += n; }
  void append(std::string_view s) {
    auto span = prepare(s.size());
    std::memcpy(span.data(), s.data(), s.size());
    commit(s.size());
  }
  std::string take(std::size_t n) {
    std::string out(data(), n);
    consume(n);
    return out;
  }

private:
  std::unique_ptr<char[]> data_;
  std::size_t cap_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

class StreamCore : public std::enable_shared_from_this<StreamCore> {
public:
  StreamCore(std::unique_ptr<StreamTransport> transport, StreamOptions opts, bool server_side);
  ~StreamCore();

  // ---- reader ----
  std::string read(std::ptrdiff_t n);
  std::string readexactly(std::size_t n);
  std::string readuntil(std::span<const std::string_view> separators);
  std::string readline();
  std::size_t read_into(std::span<char> buf);
  [[nodiscard]] bool at_eof() const;
  [[nodiscard]] std::exception_ptr exception() const;
  void set_exception(std::exception_ptr e);
  void feed_data(std::string_view data);
  void feed_eof();
  [[nodiscard]] std::size_t limit() const noexcept { return limit_; }

  // ---- writer ----
  void write(std::string_view data);
  void drain(StateWaiters::clock::time_point deadline);
  [[nodiscard]] bool can_write_eof() const;
  void write_eof();
  void close();
  void abort();
  void wait_closed();
  [[nodiscard]] bool is_closing() const;
  [[nodiscard]] std::any extra_info(std::string_view name, std::any fallback) const;
  void start_tls(const SSLContext& context, const StartTlsOptions& opts);
  [[nodiscard]] std::size_t write_buffer_size() const;
  void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low);

  // ---- for servers and connections (net/src) ----
  /// Runs once, on the loop thread, when the stream has closed.
  void on_close(Function<void()> fn);
  void set_ssl_context(const SSLContext& ctx);
  [[nodiscard]] StreamTransport* transport() const noexcept { return transport_.get(); }

private:
  void check_read_exception() const;
  void fill();
  void fill_from_feed();
  void on_read_error(std::exception_ptr e);

  void append_locked(std::string_view data);
  void update_paused_locked();
  void flush_on_loop();
  void on_written(const boost::system::error_code& ec, std::size_t n);
  /// Drops the first n queued bytes; resumes drain() below the low mark.
  void consume_locked(std::size_t n, WakeBatch& wake);
  void settle_on_loop();
  void fail_on_loop(const boost::system::error_code& ec);
  void close_now_on_loop();
  void on_closed();
  [[nodiscard]] std::exception_ptr lost_error_locked() const;

  std::unique_ptr<StreamTransport> transport_;
  std::vector<std::unique_ptr<StreamTransport>> retired_; ///< transports replaced by start_tls
  const bool server_side_;
  const std::size_t limit_;

  // reader: the reading task only
  ByteBuffer rbuf_;
  std::size_t read_hint_;
  std::atomic<bool> eof_{false};
  std::atomic<bool> reading_{false};

  mutable std::mutex mu_;
  // reader, shared
  std::exception_ptr rexc_;
  std::atomic<bool> has_rexc_{false};
  std::string fed_;
  bool fed_eof_ = false;
  // writer
  std::deque<std::string> chunks_;
  std::size_t front_off_ = 0;
  std::size_t buffered_ = 0;
  std::size_t in_flight_ = 0;          ///< chunks being written (flusher)
  std::vector<boost::asio::const_buffer> iov_; ///< flusher only
  std::size_t high_;
  std::size_t low_;
  // The writer's state, under mu_: one enum per question (protocol above).
  /// Steps 1-3: who owns the transport's write side.
  enum class Flusher : std::uint8_t { idle, sending };
  /// Step 4: above the high-water mark until it falls to the low one.
  enum class Flow : std::uint8_t { flowing, paused };
  /// write_eof(): asked for, then sent once the queue drained.
  enum class Eof : std::uint8_t { none, requested, sent };
  /// close(): asked for (or the connection was lost), the transport's close
  /// begun, done. Only ever moves forward (advance_close()).
  enum class Close : std::uint8_t { open, requested, started, closed };
  Flusher flusher_ = Flusher::idle;
  Flow flow_ = Flow::flowing;
  Eof write_eof_ = Eof::none;
  Close close_ = Close::open;
  /// Step 5: the error that lost the connection; set once, never cleared.
  std::exception_ptr error_;
  [[nodiscard]] bool lost() const noexcept { return error_ != nullptr; }
  [[nodiscard]] bool close_requested() const noexcept { return close_ >= Close::requested; }
  void advance_close(Close to) noexcept {
    if (close_ < to) close_ = to;
  }
  std::optional<SSLContext> ssl_context_;
  Function<void()> close_cb_;
  StateWaiters waiters_;
};

/// What StreamReader/StreamWriter hold: closing the stream when the last one goes.
struct StreamHandle {
  std::shared_ptr<StreamCore> core;
  explicit StreamHandle(std::shared_ptr<StreamCore> c) : core(std::move(c)) {}
  StreamHandle(const StreamHandle&) = delete;
  StreamHandle& operator=(const StreamHandle&) = delete;
  ~StreamHandle();
};

/// Builds handles over a core, and reaches a handle's core.
struct StreamAccess {
  static StreamReader reader(std::shared_ptr<StreamHandle> h) { return StreamReader(std::move(h)); }
  static StreamWriter writer(std::shared_ptr<StreamHandle> h) { return StreamWriter(std::move(h)); }
  static const std::shared_ptr<StreamCore>& core(const StreamWriter& w) { return w.handle_->core; }
};

/// A reader and a writer over `transport`, plus their core.
struct MadeStreams {
  StreamReader reader;
  StreamWriter writer;
  std::shared_ptr<StreamCore> core;
};
MadeStreams make_stream_objects(std::unique_ptr<StreamTransport> transport, StreamOptions opts, bool server_side,
                                const std::optional<SSLContext>& ssl);

} // namespace coreio::detail
