// StreamReader / StreamWriter: the public handles over StreamCore.
#include "coreio/net/streams.hpp"

#include "stream_core.hpp"

namespace coreio {

using detail::StreamCore;
using detail::StreamHandle;

// ---------------------------------------------------------------- StreamReader

StreamReader::StreamReader(StreamOptions opts)
    : handle_(std::make_shared<StreamHandle>(std::make_shared<StreamCore>(nullptr, opts, false))) {}

StreamReader::StreamReader(std::shared_ptr<StreamHandle> h) : handle_(std::move(h)) {}

StreamCore& StreamReader::core() const {
  if (!handle_) throw InvalidStateError("StreamReader: empty handle (moved from)");
  return *handle_->core;
}

std::string StreamReader::read(std::ptrdiff_t n) { return core().read(n); }
std::string StreamReader::readline() { return core().readline(); }
std::string StreamReader::readexactly(std::size_t n) { return core().readexactly(n); }
std::string StreamReader::readuntil(std::string_view separator) { return core().readuntil(std::span(&separator, 1)); }
std::string StreamReader::readuntil(std::initializer_list<std::string_view> separators) {
  return core().readuntil(std::span(separators.begin(), separators.size()));
}
std::size_t StreamReader::read_into(std::span<char> buf) { return core().read_into(buf); }
bool StreamReader::at_eof() const { return core().at_eof(); }
std::exception_ptr StreamReader::exception() const { return core().exception(); }
void StreamReader::set_exception(std::exception_ptr e) { core().set_exception(std::move(e)); }
void StreamReader::feed_data(std::string_view data) { core().feed_data(data); }
void StreamReader::feed_eof() { core().feed_eof(); }
std::size_t StreamReader::limit() const noexcept { return handle_ ? handle_->core->limit() : 0; }

// ---------------------------------------------------------------- StreamWriter

StreamWriter::StreamWriter(std::shared_ptr<StreamHandle> h) : handle_(std::move(h)) {}

StreamCore& StreamWriter::core() const {
  if (!handle_) throw InvalidStateError("StreamWriter: empty handle (default-constructed or moved from)");
  return *handle_->core;
}

void StreamWriter::write(std::string_view data) { core().write(data); }
void StreamWriter::drain() { core().drain(detail::StateWaiters::clock::time_point::max()); }
void StreamWriter::drain(std::chrono::nanoseconds timeout) {
  core().drain(detail::StateWaiters::clock::now() + timeout);
}
bool StreamWriter::can_write_eof() const { return core().can_write_eof(); }
void StreamWriter::write_eof() { core().write_eof(); }
void StreamWriter::close() { core().close(); }
void StreamWriter::abort() { core().abort(); }
void StreamWriter::wait_closed() { core().wait_closed(); }
bool StreamWriter::is_closing() const { return core().is_closing(); }
std::any StreamWriter::get_extra_info(std::string_view name, std::any default_value) const {
  return core().extra_info(name, std::move(default_value));
}
void StreamWriter::start_tls(const SSLContext& context, StartTlsOptions opts) { core().start_tls(context, opts); }
std::size_t StreamWriter::get_write_buffer_size() const { return core().write_buffer_size(); }
void StreamWriter::set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) {
  core().set_write_buffer_limits(high, low);
}

} // namespace coreio

namespace coreio::detail {

std::unique_ptr<StreamTransport> StreamTransport::start_tls(const TlsUpgrade&) {
  throw RuntimeError("start_tls() is not supported by this transport (only TCP and Unix sockets)");
}

std::any StreamTransport::extra_info(std::string_view) const { return {}; }

} // namespace coreio::detail
