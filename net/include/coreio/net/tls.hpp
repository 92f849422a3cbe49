// SSLContext: TLS settings for open_connection / start_server / start_tls
// (Python's ssl.SSLContext, over Boost.Asio SSL and OpenSSL).
//
//     auto server_ctx = coreio::SSLContext(coreio::SSLContext::Protocol::tls_server);
//     server_ctx.load_cert_chain("cert.pem", "key.pem");
//     auto client_ctx = coreio::create_default_context();   // verifies, checks the host name
//     client_ctx.load_verify_locations("ca.pem");
//
// Thread safety: an SSLContext is a shared handle (copies share the settings).
// Configure it before it is used by connections; after that it may be used
// by any number of connections on any loops at once (OpenSSL's SSL_CTX is
// thread-safe for that). Throws: OSError-like failures of OpenSSL (a missing
// or malformed file) are raised as boost::system::system_error.
#pragma once

#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace coreio {

class SSLContext {
public:
  /// Python's ssl.PROTOCOL_TLS_CLIENT / ssl.PROTOCOL_TLS_SERVER.
  enum class Protocol { tls_client, tls_server };
  /// Python's ssl.CERT_NONE / CERT_OPTIONAL / CERT_REQUIRED.
  enum class VerifyMode { cert_none, cert_optional, cert_required };

  /// TLS 1.2+ context. tls_client: verify_mode cert_required and
  /// check_hostname true (as Python's); tls_server: cert_none.
  explicit SSLContext(Protocol protocol);

  /// Certificate chain (PEM) and private key (PEM; defaults to `certfile`).
  void load_cert_chain(const std::string& certfile, const std::string& keyfile = {});
  /// Trusted CA certificates (PEM file).
  void load_verify_locations(const std::string& cafile);
  /// Trust the system's default CA store.
  void set_default_verify_paths();

  void set_verify_mode(VerifyMode mode);
  [[nodiscard]] VerifyMode verify_mode() const noexcept;
  /// Verify that the server certificate matches server_hostname (clients).
  void set_check_hostname(bool on) noexcept;
  [[nodiscard]] bool check_hostname() const noexcept;
  [[nodiscard]] Protocol protocol() const noexcept;

  /// The Boost.Asio context, for settings not wrapped here (include
  /// <boost/asio/ssl.hpp> to use it).
  [[nodiscard]] boost::asio::ssl::context& native() const noexcept;
  [[nodiscard]] std::shared_ptr<boost::asio::ssl::context> shared_native() const noexcept;

private:
  struct State;
  std::shared_ptr<State> state_;
};

/// Python's ssl.Purpose.
enum class Purpose {
  server_auth, ///< a client context, authenticating servers
  client_auth, ///< a server context
};

/// Python's ssl.create_default_context(purpose): server_auth gives a client
/// context that trusts the system CAs, verifies the server and checks its host
/// name; client_auth gives a server context.
[[nodiscard]] SSLContext create_default_context(Purpose purpose = Purpose::server_auth);

} // namespace coreio
