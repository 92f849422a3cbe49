// peer_asio_echo_server: the card's echo row written with raw Boost.Asio
// callbacks, the baseline a coreio echo server is measured against.
//
//     peer_asio_echo_server [--threads=N] [--port=P]
//
// Shape: one io_context per thread (concurrency hint 1, so Asio skips its
// internal locking) and one acceptor per thread, all bound to the same port
// with SO_REUSEPORT; the kernel spreads incoming connections over them, and a
// connection lives on the thread that accepted it. Each session reads what is
// available and writes it back, one read or write outstanding at a time.
//
// Prints `port=<P>` once every acceptor listens, then serves until SIGTERM or
// SIGINT, and exits 0.
#include <boost/asio.hpp>

#include <sys/socket.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "options.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr std::size_t read_buffer_bytes = 16 * 1024;

class Session : public std::enable_shared_from_this<Session> {
public:
    explicit Session(tcp::socket socket) : socket_(std::move(socket)) {}

    void start() { read(); }

private:
    void read() {
        socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](error_code error, std::size_t n) {
            if (!error) {
                self->write(n);
            }
        });
    }

    void write(std::size_t n) {
        asio::async_write(socket_, asio::buffer(buffer_, n), [self = shared_from_this()](error_code error, std::size_t) {
            if (!error) {
                self->read();
            }
        });
    }

    tcp::socket socket_;
    std::array<char, read_buffer_bytes> buffer_{};
};

class Listener {
public:
    // Throws boost::system::system_error when the port cannot be bound.
    Listener(asio::io_context& io, unsigned short port) : acceptor_(io) {
        const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        const int on = 1;
        if (setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
            throw boost::system::system_error(error_code(errno, boost::system::system_category()), "SO_REUSEPORT");
        }
        acceptor_.bind(endpoint);
        acceptor_.listen(asio::socket_base::max_listen_connections);
    }

    [[nodiscard]] unsigned short port() const { return acceptor_.local_endpoint().port(); }

    void accept() {
        acceptor_.async_accept([this](error_code error, tcp::socket socket) {
            if (error == asio::error::operation_aborted) {
                return;
            }
            if (!error) {
                socket.set_option(tcp::no_delay(true));
                std::make_shared<Session>(std::move(socket))->start();
            }
            accept();
        });
    }

private:
    tcp::acceptor acceptor_;
};

int serve(unsigned threads, unsigned short port) {
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<std::unique_ptr<Listener>> listeners;
    for (unsigned i = 0; i < threads; ++i) {
        contexts.push_back(std::make_unique<asio::io_context>(1));
        // The first acceptor picks the port when asked for port 0; the rest share it.
        listeners.push_back(std::make_unique<Listener>(*contexts.back(), port));
        port = listeners.front()->port();
        listeners.back()->accept();
    }

    asio::signal_set signals(*contexts.front(), SIGINT, SIGTERM);
    signals.async_wait([&](error_code, int) {
        for (auto& context : contexts) {
            context->stop();
        }
    });

    std::printf("port=%u\n", static_cast<unsigned>(port));
    std::fflush(stdout);

    std::vector<std::thread> workers;
    for (unsigned i = 1; i < threads; ++i) {
        workers.emplace_back([&context = *contexts[i]] { context.run(); });
    }
    contexts.front()->run();
    for (std::thread& worker : workers) {
        worker.join();
    }
    return perf::exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
    const char* synopsis = "peer_asio_echo_server [--threads=N] [--port=P]";
    const std::vector<perf::OptionSpec> specs{
        {"threads", true, "threads, each with its own io_context and acceptor (default: all CPUs)"},
        {"port", true, "TCP port on 127.0.0.1 (default 0: any free port)"},
        {"help", false, "print this help"},
    };
    try {
        const perf::Options options(argc, argv, specs);
        if (options.flag("help")) {
            std::fputs(options.usage(synopsis).c_str(), stdout);
            return perf::exit_ok;
        }
        if (!options.positional().empty()) {
            throw perf::UsageError("unexpected argument " + options.positional().front());
        }
        const auto hardware = static_cast<std::int64_t>(std::max(1u, std::thread::hardware_concurrency()));
        const auto threads = options.integer("threads", 1, 1024).value_or(hardware);
        const auto port = options.integer("port", 0, 65535).value_or(0);
        return serve(static_cast<unsigned>(threads), static_cast<unsigned short>(port));
    } catch (const perf::UsageError& error) {
        std::fprintf(stderr, "%s: %s\n%s", argv[0], error.what(), perf::Options(1, argv, specs).usage(synopsis).c_str());
        return perf::exit_usage;
    } catch (const boost::system::system_error& error) {
        std::fprintf(stderr, "%s: %s\n", argv[0], error.what());
        return EXIT_FAILURE;
    }
}
