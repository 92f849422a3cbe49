// net/ exceptions: asyncio's stream errors and Python's OSError family.
//
// asyncio raises IncompleteReadError (an EOFError) and LimitOverrunError from
// StreamReader, and the builtin OSError subclasses (ConnectionResetError,
// ConnectionRefusedError, BrokenPipeError, socket.gaierror, ...) from
// connections. coreio keeps the same names and the same hierarchy; OSError is
// a std::system_error, so code() carries the errno (std::system_category) or,
// for resolver failures, the getaddrinfo error (GaiError).
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace boost::system {
class error_code;
}

namespace coreio {

/// Python's EOFError: the stream ended before the read could be satisfied.
class EOFError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// asyncio.IncompleteReadError: readexactly()/readuntil() hit EOF first.
/// partial() holds the bytes read before EOF (they are no longer buffered);
/// expected() is the count readexactly() wanted (nullopt for readuntil()).
class IncompleteReadError : public EOFError {
public:
  IncompleteReadError(std::string partial, std::optional<std::size_t> expected);
  [[nodiscard]] const std::string& partial() const noexcept { return partial_; }
  [[nodiscard]] std::optional<std::size_t> expected() const noexcept { return expected_; }

private:
  std::string partial_;
  std::optional<std::size_t> expected_;
};

/// asyncio.LimitOverrunError: readuntil() found no separator within the
/// reader's limit (or found it past the limit). The data stays buffered;
/// consumed() is how many bytes may be discarded to make progress.
class LimitOverrunError : public std::runtime_error {
public:
  LimitOverrunError(const std::string& message, std::size_t consumed)
      : std::runtime_error(message), consumed_(consumed) {}
  [[nodiscard]] std::size_t consumed() const noexcept { return consumed_; }

private:
  std::size_t consumed_;
};

/// Python's OSError: a failed system call on a socket, pipe or address.
/// code() is the error (errno values use std::system_category()).
class OSError : public std::system_error {
public:
  using std::system_error::system_error;
};

/// Python's ConnectionError and its subclasses.
class ConnectionError : public OSError {
public:
  using OSError::OSError;
};
/// ECONNRESET, or the connection was lost while writing or draining.
class ConnectionResetError : public ConnectionError {
public:
  using ConnectionError::ConnectionError;
};
/// ECONNREFUSED: nobody listens at the address.
class ConnectionRefusedError : public ConnectionError {
public:
  using ConnectionError::ConnectionError;
};
/// ECONNABORTED.
class ConnectionAbortedError : public ConnectionError {
public:
  using ConnectionError::ConnectionError;
};
/// EPIPE / ESHUTDOWN: writing to a connection the peer closed.
class BrokenPipeError : public ConnectionError {
public:
  using ConnectionError::ConnectionError;
};

/// Python's socket.gaierror: getaddrinfo() failed (unknown host or service,
/// temporary DNS failure). code() holds the resolver's error.
class GaiError : public OSError {
public:
  using OSError::OSError;
};

/// Python's ssl.SSLError: a TLS handshake or record failed (certificate
/// verification, protocol error). code() holds OpenSSL's error.
class SSLError : public OSError {
public:
  using OSError::OSError;
};

namespace detail {

/// The std::error_code for a Boost.System error (errno values map to
/// std::system_category(), so `code() == std::errc::connection_reset` works).
[[nodiscard]] std::error_code to_std_error(const boost::system::error_code& ec);

/// Throws the OSError subclass matching `ec` (ConnectionResetError for
/// ECONNRESET, GaiError for resolver errors, SSLError for TLS errors...), with `what` ("connect to 127.0.0.1:1", ...) in front of
/// the system's message.
[[noreturn]] void throw_os_error(const boost::system::error_code& ec, const std::string& what);

} // namespace detail
} // namespace coreio
