// StreamCore: readers and writers (see stream_core.hpp for the protocol).
#include "stream_core.hpp"

#include <algorithm>

#include "coreio/sleep.hpp"
#include "net_log.hpp"

namespace coreio::detail {

namespace {
/// asyncio's default chunk for read() to EOF and the smallest buffer a read gets.
constexpr std::size_t min_read = 64 * 1024;
/// Reads grow up to this while they keep filling the buffer (asyncio's max_size).
constexpr std::size_t max_read = 256 * 1024;
/// Most chunks in one gather write (Asio passes up to 64 iovecs).
constexpr std::size_t max_iov = 64;
/// Small writes are appended to the last queued chunk up to this size.
constexpr std::size_t coalesce_limit = 64 * 1024;

std::exception_ptr connection_lost() {
  return std::make_exception_ptr(
      ConnectionResetError(std::make_error_code(std::errc::connection_reset), "Connection lost"));
}

bool would_block(const boost::system::error_code& ec) {
  return ec == boost::asio::error::would_block || ec == boost::asio::error::try_again;
}
} // namespace

std::span<char> ByteBuffer::prepare(std::size_t n) {
  if (cap_ - end_ >= n) return {data_.get() + end_, cap_ - end_};
  const std::size_t used = size();
  if (begin_ > 0 && cap_ - used >= n) {
    std::memmove(data_.get(), data_.get() + begin_, used);
  } else {
    const std::size_t cap = std::max(cap_ * 2, used + n);
    auto fresh = std::make_unique_for_overwrite<char[]>(cap);
    if (used) std::memcpy(fresh.get(), data_.get() + begin_, used);
    data_ = std::move(fresh);
    cap_ = cap;
  }
  begin_ = 0;
  end_ = used;
  return {data_.get() + end_, cap_ - end_};
}

StreamCore::StreamCore(std::unique_ptr<StreamTransport> transport, StreamOptions opts, bool server_side)
    : transport_(std::move(transport)), server_side_(server_side), limit_(opts.limit), read_hint_(min_read),
      high_(opts.write_high_water), low_(opts.write_low_water.value_or(opts.write_high_water / 4)) {
  if (limit_ == 0) throw ValueError("Limit cannot be <= 0");
  if (low_ > high_) throw ValueError("high must be >= low must be >= 0");
}

StreamCore::~StreamCore() = default;

StreamHandle::~StreamHandle() {
  if (core) core->close();
}

// ================================================================ reader

void StreamCore::check_read_exception() const {
  // Acquire: pairs with the Release store in set_exception()/on_read_error().
  if (!has_rexc_.load(std::memory_order_acquire)) return;
  std::exception_ptr e;
  {
    std::lock_guard g(mu_);
    e = rexc_;
  }
  if (e) std::rethrow_exception(e);
}

void StreamCore::fill() {
  // asyncio's _wait_for_data(): one reader at a time.
  if (reading_.exchange(true, std::memory_order_acquire))
    throw RuntimeError("read() called while another task is already waiting for incoming data");
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag.store(false, std::memory_order_release); } // Release: the buffer, for the next reader
  } done{reading_};
  if (!transport_) {
    fill_from_feed();
    return;
  }
  const std::span<char> space = rbuf_.prepare(read_hint_);
  const std::span<char> want = space.first(std::min(space.size(), max_read));
  std::size_t n = 0;
  try {
    n = transport_->read_some(want);
  } catch (const OSError&) {
    on_read_error(std::current_exception());
    throw;
  }
  if (n == 0) {
    // Release: pairs with the Acquire in at_eof(), which other tasks may call.
    eof_.store(true, std::memory_order_release);
    return;
  }
  rbuf_.commit(n);
  // Bulk data: the read filled what we offered, so offer more next time.
  if (n == want.size()) read_hint_ = std::min(read_hint_ * 2, max_read);
}

void StreamCore::fill_from_feed() {
  std::unique_lock lk(mu_);
  while (fed_.empty() && !fed_eof_ && !rexc_) waiters_.wait(lk);
  if (rexc_) std::rethrow_exception(rexc_);
  if (!fed_.empty()) {
    rbuf_.append(fed_);
    fed_.clear();
  } else {
    // Release: as in fill().
    eof_.store(true, std::memory_order_release);
  }
}

void StreamCore::on_read_error(std::exception_ptr e) {
  WakeBatch wake;
  {
    std::lock_guard g(mu_);
    rexc_ = e;
    // Release: pairs with the Acquire in check_read_exception().
    has_rexc_.store(true, std::memory_order_release);
    if (!lost()) error_ = e;
    advance_close(Close::requested);
    waiters_.notify_all(wake);
  }
  // asyncio's _fatal_error: the transport is closed at once.
  transport_->dispatch([self = shared_from_this()] { self->close_now_on_loop(); });
}

// The reading task is the only writer of `eof_` it reads here (fill()), so the
// read paths load it Relaxed; at_eof(), callable from any task, uses Acquire.

std::string StreamCore::read(std::ptrdiff_t n) {
  check_read_exception();
  if (n == 0) return {};
  if (n < 0) {
    while (!eof_.load(std::memory_order_relaxed)) fill();
    return rbuf_.take(rbuf_.size());
  }
  if (rbuf_.empty() && !eof_.load(std::memory_order_relaxed)) fill();
  return rbuf_.take(std::min(rbuf_.size(), static_cast<std::size_t>(n)));
}

std::size_t StreamCore::read_into(std::span<char> buf) {
  check_read_exception();
  if (buf.empty()) return 0;
  if (rbuf_.empty() && !eof_.load(std::memory_order_relaxed)) fill();
  const std::size_t n = std::min(rbuf_.size(), buf.size());
  std::memcpy(buf.data(), rbuf_.data(), n);
  rbuf_.consume(n);
  return n;
}

std::string StreamCore::readexactly(std::size_t n) {
  check_read_exception();
  while (rbuf_.size() < n) {
    if (eof_.load(std::memory_order_relaxed)) throw IncompleteReadError(rbuf_.take(rbuf_.size()), n);
    fill();
  }
  return rbuf_.take(n);
}

std::string StreamCore::readuntil(std::span<const std::string_view> separators) {
  if (separators.empty()) throw ValueError("Separator should contain at least one element");
  std::size_t max_sep = 0;
  for (std::string_view s : separators) {
    if (s.empty()) throw ValueError("Separator should be at least one-byte string");
    max_sep = std::max(max_sep, s.size());
  }
  check_read_exception();
  // Where the next search starts: bytes before it cannot begin a match.
  std::size_t offset = 0;
  for (;;) {
    const std::string_view buf = rbuf_.view();
    std::size_t match_start = std::string_view::npos;
    std::size_t match_end = std::string_view::npos;
    // asyncio 3.13 sorts the separators by length and keeps the first match
    // with the smallest end: of two matches ending together, the shorter
    // separator wins (its later start is what the limit check sees).
    for (std::string_view sep : separators) {
      const std::size_t at = buf.find(sep, offset);
      if (at == std::string_view::npos) continue;
      const std::size_t end = at + sep.size();
      if (match_end == std::string_view::npos || end < match_end || (end == match_end && at > match_start)) {
        match_start = at;
        match_end = end;
      }
    }
    if (match_end != std::string_view::npos) {
      if (match_start > limit_)
        throw LimitOverrunError("Separator is found, but chunk is longer than limit", match_start);
      return rbuf_.take(match_end);
    }
    offset = buf.size() + 1 > max_sep ? buf.size() + 1 - max_sep : 0;
    // asyncio's check: overrun only once no separator starting within the
    // limit can still complete (buflen + 1 - max_seplen > limit). Checking
    // the buffered length instead would make the outcome depend on how the
    // bytes were chunked (a separator split across two reads).
    if (offset > limit_) throw LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
    if (eof_.load(std::memory_order_relaxed)) throw IncompleteReadError(rbuf_.take(rbuf_.size()), std::nullopt);
    fill();
  }
}

std::string StreamCore::readline() {
  static constexpr std::string_view nl = "\n";
  try {
    return readuntil(std::span(&nl, 1));
  } catch (const IncompleteReadError& e) {
    return e.partial();
  } catch (const LimitOverrunError& e) {
    // asyncio: drop the over-long line if its end is buffered, else everything.
    const std::string_view buf = rbuf_.view();
    if (buf.substr(e.consumed(), 1) == nl) rbuf_.consume(e.consumed() + 1);
    else rbuf_.clear();
    throw ValueError(e.what());
  }
}

bool StreamCore::at_eof() const {
  // Acquire: pairs with the Release stores in fill() / fill_from_feed().
  return eof_.load(std::memory_order_acquire) && rbuf_.empty();
}

std::exception_ptr StreamCore::exception() const {
  std::lock_guard g(mu_);
  return rexc_;
}

void StreamCore::set_exception(std::exception_ptr e) {
  WakeBatch wake;
  std::lock_guard g(mu_);
  rexc_ = std::move(e);
  // Release: pairs with the Acquire in check_read_exception().
  has_rexc_.store(rexc_ != nullptr, std::memory_order_release);
  waiters_.notify_all(wake);
}

void StreamCore::feed_data(std::string_view data) {
  if (transport_) throw RuntimeError("feed_data() on a StreamReader that reads from a transport");
  if (data.empty()) return;
  WakeBatch wake;
  std::lock_guard g(mu_);
  if (fed_eof_) throw RuntimeError("feed_data after feed_eof");
  fed_.append(data);
  waiters_.notify_all(wake);
}

void StreamCore::feed_eof() {
  if (transport_) throw RuntimeError("feed_eof() on a StreamReader that reads from a transport");
  WakeBatch wake;
  std::lock_guard g(mu_);
  fed_eof_ = true;
  waiters_.notify_all(wake);
}

// ================================================================ writer

void StreamCore::append_locked(std::string_view data) {
  // Coalesce into the last chunk unless the flusher is writing it.
  if (chunks_.size() > in_flight_ && chunks_.back().size() + data.size() <= coalesce_limit) chunks_.back().append(data);
  else chunks_.emplace_back(data);
  buffered_ += data.size();
}

void StreamCore::update_paused_locked() {
  if (flow_ == Flow::flowing && buffered_ > high_) flow_ = Flow::paused;
}

void StreamCore::write(std::string_view data) {
  if (!transport_) throw RuntimeError("write() on a stream without a transport");
  std::unique_lock lk(mu_);
  if (write_eof_ != Eof::none) throw RuntimeError("Cannot call write() after write_eof()");
  if (data.empty()) return;
  if (close_requested() || lost()) {
    // asyncio ignores writes to a closing or lost transport (drain() reports it).
    net_log().debug("write() of {} bytes to a closed stream ignored", data.size());
    return;
  }
  if (flusher_ == Flusher::idle && chunks_.empty() && transport_->can_try_write() && transport_->on_loop()) {
    // Step 1: straight to the socket.
    flusher_ = Flusher::sending;
    lk.unlock();
    boost::system::error_code ec;
    const boost::asio::const_buffer buf(data.data(), data.size());
    const std::size_t n = transport_->try_write_some(std::span(&buf, 1), ec);
    if (ec && !would_block(ec)) {
      fail_on_loop(ec);
      return;
    }
    lk.lock();
    if (n < data.size()) {
      chunks_.emplace_front(data.substr(n));
      buffered_ += data.size() - n;
      update_paused_locked();
    }
    const bool more = !chunks_.empty();
    WakeBatch wake;
    if (!more) {
      flusher_ = Flusher::idle;
      waiters_.notify_all(wake);
    }
    const bool settle = !more && (close_requested() || write_eof_ != Eof::none);
    lk.unlock();
    if (more) flush_on_loop();
    else if (settle) settle_on_loop();
    return;
  }
  // Step 2: queue, and make sure someone flushes.
  append_locked(data);
  update_paused_locked();
  if (flusher_ == Flusher::sending) return;
  flusher_ = Flusher::sending;
  lk.unlock();
  transport_->dispatch([self = shared_from_this()] { self->flush_on_loop(); });
}

void StreamCore::flush_on_loop() {
  for (;;) {
    WakeBatch wake;
    std::unique_lock lk(mu_);
    if (lost() || transport_->closed()) {
      if (in_flight_ == 0) {
        chunks_.clear();
        front_off_ = buffered_ = 0;
      }
      flusher_ = Flusher::idle;
      waiters_.notify_all(wake);
      return;
    }
    if (chunks_.empty()) {
      // The write side is idle: start_tls() waits for this.
      flusher_ = Flusher::idle;
      waiters_.notify_all(wake);
      lk.unlock();
      settle_on_loop();
      return;
    }
    // Step 3: the first chunks, as one gather write.
    iov_.clear();
    std::size_t offset = front_off_;
    for (const std::string& c : chunks_) {
      iov_.emplace_back(c.data() + offset, c.size() - offset);
      offset = 0;
      if (iov_.size() == max_iov) break;
    }
    in_flight_ = iov_.size();
    lk.unlock();
    if (transport_->can_try_write()) {
      boost::system::error_code ec;
      const std::size_t n = transport_->try_write_some(iov_, ec);
      if (!ec) {
        WakeBatch wake;
        std::lock_guard g(mu_);
        consume_locked(n, wake);
        continue;
      }
      if (!would_block(ec)) {
        fail_on_loop(ec);
        return;
      }
    }
    transport_->async_write_some(iov_, [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
      self->on_written(ec, n);
    });
    return;
  }
}

void StreamCore::consume_locked(std::size_t n, WakeBatch& wake) {
  in_flight_ = 0;
  buffered_ -= n;
  while (n > 0) {
    const std::size_t left = chunks_.front().size() - front_off_;
    if (n >= left) {
      n -= left;
      chunks_.pop_front();
      front_off_ = 0;
    } else {
      front_off_ += n;
      n = 0;
    }
  }
  if (flow_ == Flow::paused && buffered_ <= low_) {
    flow_ = Flow::flowing; // step 4: resume_writing
    waiters_.notify_all(wake);
  }
}

void StreamCore::on_written(const boost::system::error_code& ec, std::size_t n) {
  if (ec) {
    if (transport_->closed()) {
      // Our own close/abort ended the write: drop the queue with it.
      WakeBatch wake;
      std::lock_guard g(mu_);
      chunks_.clear();
      front_off_ = buffered_ = in_flight_ = 0;
      flusher_ = Flusher::idle;
      waiters_.notify_all(wake);
      return;
    }
    {
      std::lock_guard g(mu_);
      in_flight_ = 0;
    }
    fail_on_loop(ec);
    return;
  }
  {
    WakeBatch wake;
    std::lock_guard g(mu_);
    consume_locked(n, wake);
  }
  flush_on_loop();
}

void StreamCore::settle_on_loop() {
  std::unique_lock lk(mu_);
  if (flusher_ == Flusher::sending) return; // the flusher settles when it is done
  if (!chunks_.empty()) {
    flusher_ = Flusher::sending;
    lk.unlock();
    flush_on_loop();
    return;
  }
  if (write_eof_ == Eof::requested && close_ != Close::closed) {
    write_eof_ = Eof::sent;
    boost::system::error_code ec;
    transport_->shutdown_write(ec);
    if (ec) net_log().debug("write_eof: {}", ec.message());
  }
  if (close_ == Close::requested) {
    close_ = Close::started;
    lk.unlock();
    transport_->async_close([self = shared_from_this()] { self->on_closed(); });
  }
}

void StreamCore::fail_on_loop(const boost::system::error_code& ec) {
  WakeBatch wake;
  {
    std::lock_guard g(mu_);
    if (!lost()) {
      try {
        throw_os_error(ec, "write");
      } catch (...) {
        error_ = std::current_exception();
      }
      // asyncio: connection_lost(exc) sets the reader's exception too.
      if (!rexc_) {
        rexc_ = error_;
        // Release: pairs with the Acquire in check_read_exception().
        has_rexc_.store(true, std::memory_order_release);
      }
    }
    advance_close(Close::requested);
    if (in_flight_ == 0) {
      chunks_.clear();
      front_off_ = buffered_ = 0;
    }
    flusher_ = Flusher::idle;
    flow_ = Flow::flowing;
    waiters_.notify_all(wake);
  }
  close_now_on_loop();
}

void StreamCore::close_now_on_loop() {
  {
    std::lock_guard g(mu_);
    if (close_ == Close::closed) return;
    close_ = Close::started;
  }
  transport_->close_now();
  on_closed();
}

void StreamCore::on_closed() {
  Function<void()> cb;
  {
    WakeBatch wake;
    std::lock_guard g(mu_);
    if (close_ == Close::closed) return;
    close_ = Close::closed;
    cb = std::move(close_cb_);
    waiters_.notify_all(wake);
  }
  if (cb) cb();
}

std::exception_ptr StreamCore::lost_error_locked() const { return error_ ? error_ : connection_lost(); }

void StreamCore::drain(StateWaiters::clock::time_point deadline) {
  check_read_exception();
  std::unique_lock lk(mu_);
  if (lost()) std::rethrow_exception(lost_error_locked());
  if (close_requested()) {
    // asyncio (bpo-25441): yield once, so a write()/drain() loop on a dead
    // peer does not spin, then report the lost connection.
    lk.unlock();
    yield_now();
    lk.lock();
    if (lost() || close_ == Close::closed) std::rethrow_exception(lost_error_locked());
  }
  while (flow_ == Flow::paused && !lost() && close_ != Close::closed)
    if (!waiters_.wait(lk, deadline)) throw TimeoutError("drain() timed out: the peer is not reading");
  if (lost() || (flow_ == Flow::paused && close_ == Close::closed)) std::rethrow_exception(lost_error_locked());
}

bool StreamCore::can_write_eof() const { return transport_ && transport_->can_write_eof(); }

void StreamCore::write_eof() {
  if (!can_write_eof()) throw RuntimeError("write_eof() is not supported by this transport");
  std::unique_lock lk(mu_);
  if (write_eof_ != Eof::none || close_requested()) return;
  write_eof_ = Eof::requested;
  if (flusher_ == Flusher::sending || !chunks_.empty()) return; // the flusher settles after the queue
  lk.unlock();
  transport_->dispatch([self = shared_from_this()] { self->settle_on_loop(); });
}

void StreamCore::close() {
  if (!transport_) return;
  std::unique_lock lk(mu_);
  if (close_requested()) return;
  advance_close(Close::requested);
  if (flusher_ == Flusher::sending) return;
  lk.unlock();
  transport_->dispatch([self = shared_from_this()] { self->settle_on_loop(); });
}

void StreamCore::abort() {
  if (!transport_) return;
  {
    WakeBatch wake;
    std::lock_guard g(mu_);
    advance_close(Close::requested);
    // Chunks being written stay until the aborted write returns (step 5).
    while (chunks_.size() > in_flight_) {
      buffered_ -= chunks_.back().size() - (chunks_.size() == 1 ? front_off_ : 0);
      chunks_.pop_back();
    }
    if (chunks_.empty()) front_off_ = 0;
    flow_ = Flow::flowing;
    waiters_.notify_all(wake);
  }
  transport_->dispatch([self = shared_from_this()] { self->close_now_on_loop(); });
}

void StreamCore::wait_closed() {
  std::unique_lock lk(mu_);
  while (close_ != Close::closed) waiters_.wait(lk);
  if (error_) std::rethrow_exception(error_);
}

bool StreamCore::is_closing() const {
  std::lock_guard g(mu_);
  return close_requested();
}

std::any StreamCore::extra_info(std::string_view name, std::any fallback) const {
  if (!transport_) return fallback;
  const TransportInfo& info = transport_->info();
  if (name == "peername") return info.peername ? std::any(*info.peername) : fallback;
  if (name == "sockname") return info.sockname ? std::any(*info.sockname) : fallback;
  if (name == "socket") return info.fd >= 0 ? std::any(info.fd) : fallback;
  if (name == "sslcontext") {
    std::lock_guard g(mu_);
    return ssl_context_ ? std::any(*ssl_context_) : fallback;
  }
  std::any v = transport_->extra_info(name);
  return v.has_value() ? v : fallback;
}

std::size_t StreamCore::write_buffer_size() const {
  std::lock_guard g(mu_);
  return buffered_;
}

void StreamCore::set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) {
  // asyncio's _set_write_buffer_limits.
  if (!high) high = low ? 4 * *low : 64 * 1024;
  if (!low) low = *high / 4;
  if (*low > *high) throw ValueError("high must be >= low must be >= 0");
  WakeBatch wake;
  std::lock_guard g(mu_);
  high_ = *high;
  low_ = *low;
  if (buffered_ > high_) flow_ = Flow::paused;
  else if (flow_ == Flow::paused && buffered_ <= low_) {
    flow_ = Flow::flowing;
    waiters_.notify_all(wake);
  }
}

void StreamCore::on_close(Function<void()> fn) {
  std::unique_lock lk(mu_);
  if (close_ == Close::closed) {
    lk.unlock();
    fn();
    return;
  }
  close_cb_ = std::move(fn);
}

void StreamCore::set_ssl_context(const SSLContext& ctx) {
  std::lock_guard g(mu_);
  ssl_context_ = ctx;
}

void StreamCore::start_tls(const SSLContext& context, const StartTlsOptions& opts) {
  if (!transport_) throw RuntimeError("start_tls() on a stream without a transport");
  if (!rbuf_.empty()) throw RuntimeError("start_tls(): the reader holds unread data received before TLS");
  // A read waiting on the plain socket (in the loop's io_uring or the
  // reactor) would take the peer's handshake bytes for itself.
  if (reading_.load(std::memory_order_acquire))
    throw RuntimeError("start_tls(): a task is waiting in read() on the stream; TLS would lose its bytes");
  // Take the write side (step 1's token) once everything queued is out, so
  // no flusher runs while the transport is replaced.
  {
    std::unique_lock lk(mu_);
    for (;;) {
      if (lost() || close_requested()) std::rethrow_exception(lost_error_locked());
      if (flusher_ == Flusher::idle && chunks_.empty()) break;
      waiters_.wait(lk);
    }
    flusher_ = Flusher::sending;
  }
  struct Release {
    StreamCore& self;
    ~Release() {
      WakeBatch wake;
      std::lock_guard g(self.mu_);
      self.flusher_ = Flusher::idle;
      self.waiters_.notify_all(wake);
    }
  } release{*this};
  TlsUpgrade how{.context = context.shared_native(),
                 .server_side = server_side_,
                 .server_hostname = opts.server_hostname,
                 .check_hostname = context.check_hostname() && !server_side_,
                 .handshake_timeout = opts.ssl_handshake_timeout.value_or(std::chrono::seconds(60)),
                 .shutdown_timeout = opts.ssl_shutdown_timeout.value_or(std::chrono::seconds(30))};
  std::unique_ptr<StreamTransport> tls = transport_->start_tls(how);
  std::lock_guard g(mu_);
  retired_.push_back(std::move(transport_));
  transport_ = std::move(tls);
  ssl_context_ = context;
}

// ================================================================ handles

MadeStreams make_stream_objects(std::unique_ptr<StreamTransport> transport, StreamOptions opts, bool server_side,
                                const std::optional<SSLContext>& ssl) {
  auto core = std::make_shared<StreamCore>(std::move(transport), opts, server_side);
  if (ssl) core->set_ssl_context(*ssl);
  auto handle = std::make_shared<StreamHandle>(core);
  return {StreamAccess::reader(handle), StreamAccess::writer(handle), std::move(core)};
}

std::pair<StreamReader, StreamWriter> make_streams(std::unique_ptr<StreamTransport> transport, StreamOptions opts,
                                                   bool server_side) {
  auto made = make_stream_objects(std::move(transport), opts, server_side, std::nullopt);
  return {std::move(made.reader), std::move(made.writer)};
}

} // namespace coreio::detail
