// OSError mapping and the stream exceptions' constructors.
#include "coreio/net/exceptions.hpp"

#include <cerrno>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/system/error_code.hpp>

#include "coreio/net/detail/stream_transport.hpp"

namespace coreio {

namespace {
std::string incomplete_message(std::size_t got, std::optional<std::size_t> expected) {
  return std::to_string(got) + " bytes read on a total of " + (expected ? std::to_string(*expected) : "undefined") +
         " expected bytes";
}
} // namespace

IncompleteReadError::IncompleteReadError(std::string partial, std::optional<std::size_t> expected)
    : EOFError(incomplete_message(partial.size(), expected)), partial_(std::move(partial)), expected_(expected) {}

namespace detail {

std::error_code to_std_error(const boost::system::error_code& ec) {
  if (ec.category() == boost::system::system_category() || ec.category() == boost::system::generic_category())
    return {ec.value(), std::system_category()};
  return static_cast<std::error_code>(ec);
}

void throw_os_error(const boost::system::error_code& ec, const std::string& what) {
  const std::error_code code = to_std_error(ec);
  const auto& cat = ec.category();
  if (cat == boost::asio::error::get_netdb_category() || cat == boost::asio::error::get_addrinfo_category())
    throw GaiError(code, what);
  if (cat == boost::asio::error::get_ssl_category() || cat == boost::asio::ssl::error::get_stream_category())
    throw SSLError(code, what);
  if (code.category() == std::system_category()) {
    switch (code.value()) {
    case ECONNRESET: throw ConnectionResetError(code, what);
    case ECONNREFUSED: throw ConnectionRefusedError(code, what);
    case ECONNABORTED: throw ConnectionAbortedError(code, what);
    case EPIPE:
    case ESHUTDOWN: throw BrokenPipeError(code, what);
    default: break;
    }
  }
  throw OSError(code, what);
}

bool read_error_is_eof(const boost::system::error_code& ec, bool closed_by_us) {
  if (ec == boost::asio::error::eof) return true;
  // A TLS peer that closed without close_notify: treated as end of stream.
  if (ec == boost::asio::ssl::error::stream_truncated) return true;
  // Our own close() ended the read.
  return closed_by_us && (ec == boost::asio::error::operation_aborted || ec == boost::asio::error::bad_descriptor);
}

} // namespace detail
} // namespace coreio
