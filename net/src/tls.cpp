// TLS: SSLContext and the TLS stream transport (Boost.Asio SSL over OpenSSL).
//
// # Closing a TLS stream
// A graceful close sends close_notify and waits (at most the shutdown timeout,
// asyncio's ssl_shutdown_timeout, 30 s by default) for the peer's. The
// reader may have a read pending on the same SSL engine, and an engine must
// not run two reading operations at once, so:
//  1. mark the transport closed (an aborted read now reports end of stream);
//  2. cancel the socket's pending operations: the pending read's completion
//     is queued on the loop;
//  3. post the shutdown: it runs after that completion (the loop runs its
//     handlers in order), so the read has left the engine;
//  4. shutdown and a timer race; whichever ends first closes the socket,
//     which ends the other.
#include "coreio/net/tls.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include "coreio/net/detail/stream_transport.hpp"

namespace ssl = boost::asio::ssl;

namespace coreio {

struct SSLContext::State {
  explicit State(Protocol p)
      : ctx(p == Protocol::tls_client ? ssl::context::tls_client : ssl::context::tls_server), protocol(p),
        mode(p == Protocol::tls_client ? VerifyMode::cert_required : VerifyMode::cert_none),
        check_hostname(p == Protocol::tls_client) {}
  ssl::context ctx;
  Protocol protocol;
  VerifyMode mode;
  bool check_hostname;
};

SSLContext::SSLContext(Protocol protocol) : state_(std::make_shared<State>(protocol)) {
  state_->ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  set_verify_mode(state_->mode);
}

void SSLContext::load_cert_chain(const std::string& certfile, const std::string& keyfile) {
  state_->ctx.use_certificate_chain_file(certfile);
  state_->ctx.use_private_key_file(keyfile.empty() ? certfile : keyfile, ssl::context::pem);
}

void SSLContext::load_verify_locations(const std::string& cafile) { state_->ctx.load_verify_file(cafile); }

void SSLContext::set_default_verify_paths() { state_->ctx.set_default_verify_paths(); }

void SSLContext::set_verify_mode(VerifyMode mode) {
  switch (mode) {
  case VerifyMode::cert_none: state_->ctx.set_verify_mode(ssl::verify_none); break;
  case VerifyMode::cert_optional: state_->ctx.set_verify_mode(ssl::verify_peer); break;
  case VerifyMode::cert_required:
    state_->ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    break;
  }
  state_->mode = mode;
}

SSLContext::VerifyMode SSLContext::verify_mode() const noexcept { return state_->mode; }
void SSLContext::set_check_hostname(bool on) noexcept { state_->check_hostname = on; }
bool SSLContext::check_hostname() const noexcept { return state_->check_hostname; }
SSLContext::Protocol SSLContext::protocol() const noexcept { return state_->protocol; }
ssl::context& SSLContext::native() const noexcept { return state_->ctx; }
std::shared_ptr<ssl::context> SSLContext::shared_native() const noexcept {
  return std::shared_ptr<ssl::context>(state_, &state_->ctx);
}

SSLContext create_default_context(Purpose purpose) {
  SSLContext ctx(purpose == Purpose::server_auth ? SSLContext::Protocol::tls_client
                                                 : SSLContext::Protocol::tls_server);
  ctx.set_default_verify_paths();
  return ctx;
}

namespace detail {

namespace {

template <class Socket>
class TlsStreamTransport final : public AsioStreamTransport<ssl::stream<Socket>> {
  using Base = AsioStreamTransport<ssl::stream<Socket>>;

public:
  TlsStreamTransport(Socket&& sock, const TlsUpgrade& how)
      : Base(ssl::stream<Socket>(std::move(sock), *how.context)), how_(how), shutdown_timer_(this->ex_) {}

  /// Runs the handshake, suspending the calling task.
  void handshake() {
    auto& s = this->stream_;
    if (!how_.server_side) {
      if (!how_.server_hostname.empty() && !SSL_set_tlsext_host_name(s.native_handle(), how_.server_hostname.c_str()))
        throw RuntimeError("TLS: cannot set the server name (SNI) to '" + how_.server_hostname + "'");
      if (how_.check_hostname) {
        if (how_.server_hostname.empty())
          throw ValueError("check_hostname requires server_hostname (the SSLContext checks host names)");
        s.set_verify_callback(ssl::host_name_verification(how_.server_hostname));
      }
    }
    check_cancel();
    TaskOp<boost::system::error_code> op;
    HandshakeInit init{this, how_.server_side ? ssl::stream_base::server : ssl::stream_base::client};
    const TaskOpEnd end = run_task_op(op, TaskOpClock::now() + how_.handshake_timeout, init);
    auto& [ec] = op.values();
    if (!ec) return;
    if (end == TaskOpEnd::timed_out)
      throw TimeoutError("SSL handshake is taking longer than " +
                         std::to_string(std::chrono::duration<double>(how_.handshake_timeout).count()) +
                         " seconds: aborting the connection");
    TaskOpBase::raise_if_stopped(end);
    throw_os_error(ec, "SSL handshake failed");
  }

  [[nodiscard]] std::any extra_info(std::string_view name) const override {
    SSL* native = const_cast<ssl::stream<Socket>&>(this->stream_).native_handle();
    if (name == "ssl_object") return native;
    if (name == "cipher") {
      const char* c = SSL_get_cipher_name(native);
      return c ? std::any(std::string(c)) : std::any();
    }
    if (name == "peercert") return SSL_get0_peer_certificate(native);
    return {};
  }

  void async_close(Function<void()> done) override {
    this->mark_closed(); // step 1
    boost::system::error_code ec;
    this->stream_.lowest_layer().cancel(ec); // step 2
    boost::asio::post(this->ex_, [this, done = std::move(done)]() mutable { shutdown(std::move(done)); }); // step 3
  }

private:
  struct HandshakeInit {
    TlsStreamTransport* self;
    ssl::stream_base::handshake_type type;
    auto get_executor() const { return self->ex_; }
    template <class Handler>
    void operator()(Handler&& h) {
      self->stream_.async_handshake(type, std::forward<Handler>(h));
    }
  };

  void shutdown(Function<void()> done) {
    if (!this->stream_.lowest_layer().is_open()) {
      done();
      return;
    }
    shutdown_timer_.expires_after(how_.shutdown_timeout);
    shutdown_timer_.async_wait([this](const boost::system::error_code& ec) {
      // Timer expired (not cancelled): give up waiting for the peer.
      if (!ec) close_socket();
    });
    // `done` (which owns this transport's stream) travels in the handler, not
    // in a member: if the loop goes away first, destroying the handler
    // releases the stream instead of leaving a cycle.
    this->stream_.async_shutdown([this, done = std::move(done)](const boost::system::error_code&) mutable {
      shutdown_timer_.cancel();
      close_socket();
      // Last: `done` may release the stream, and this transport with it.
      auto d = std::move(done);
      d();
    });
  }

  void close_socket() noexcept {
    boost::system::error_code ec;
    this->stream_.lowest_layer().close(ec);
  }

  TlsUpgrade how_;
  boost::asio::steady_timer shutdown_timer_;
};

} // namespace

template <class Socket>
std::unique_ptr<StreamTransport> make_tls_transport(Socket&& sock, const TlsUpgrade& how) {
  if (!how.context) throw ValueError("start_tls: no SSL context");
  auto t = std::make_unique<TlsStreamTransport<Socket>>(std::move(sock), how);
  t->handshake();
  return t;
}

template std::unique_ptr<StreamTransport> make_tls_transport(boost::asio::ip::tcp::socket&&, const TlsUpgrade&);
template std::unique_ptr<StreamTransport> make_tls_transport(boost::asio::local::stream_protocol::socket&&,
                                                             const TlsUpgrade&);
template std::unique_ptr<StreamTransport> make_tls_transport(TcpSocket&&, const TlsUpgrade&);
template std::unique_ptr<StreamTransport> make_tls_transport(UnixSocket&&, const TlsUpgrade&);

} // namespace detail
} // namespace coreio
