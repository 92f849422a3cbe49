// loadgen: the closed-loop TCP load generator of the card's echo and mixed rows.
//
//     loadgen --port=P [--host=127.0.0.1] [--label=NAME] [--loops=N]
//             [--connections=100] [--size=64] [--seconds=5] [--warmup=0.5]
//             [--threads=1] [--mixed] [--json]
//
// Every connection sends one message of `size` bytes, waits for all of it to
// come back, checks every byte, and sends the next: exactly one message in
// flight per connection, never pipelined. Message bytes depend on the
// connection and the sequence number, so a reply routed to the wrong
// connection or replayed is caught.
//
// Cost: one thread drives its connections through one level-triggered epoll
// set, handling up to `max_events` ready connections per epoll_wait, with one
// read() and one write() per round trip and no allocation on the hot path, so
// on two cores the server, not the load generator, is the bottleneck (the
// CPU the load generator used is printed on stderr to check).
//
// Measurement: the first `warmup` seconds are not counted; then round trips
// that complete within the next `seconds` are counted, and their latencies
// (send of the request to the last byte of the reply) give p50 and p99.
// Prints, for bench B = echo (or mixed with --mixed):
//
//     B <label> loops=<n> rps=<value> rt/s        (req/s for mixed)
//     B <label> loops=<n> p50_us=<value> us
//     B <label> loops=<n> p99_us=<value> us
//     B <label> loops=<n> n=<connections> connections
//
// Exit status: 0, 1 when a reply is wrong, a connection fails or nothing
// completed, 2 on bad usage.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "figure_writer.hpp"
#include "options.hpp"
#include "verify.hpp"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int max_events = 256;
// epoll_wait never sleeps past this, so phase changes are noticed promptly.
constexpr int max_wait_ms = 20;
constexpr std::int64_t card_connections = 100;

struct Config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string label = "server";
    unsigned loops = 1;
    unsigned threads = 1;
    std::int64_t connections = card_connections;
    std::size_t size = 64;
    double seconds = 5;
    double warmup = 0.5;
    bool mixed = false;
    bool json = false;
};

// A failure of the server under test: a wrong reply or a broken connection.
class ConnectionFailure : public perf::WrongResult {
public:
    using perf::WrongResult::WrongResult;
};

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

class Connection {
public:
    Connection(const sockaddr_in& address, std::uint32_t id, std::size_t size)
        : id_(id), request_(size), reply_(size) {
        fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) {
            throw ConnectionFailure(errno_text("socket"));
        }
        if (connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
            const std::string error = errno_text("connect");
            close(fd_);
            throw ConnectionFailure(error);
        }
        const int on = 1;
        setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() { close(fd_); }

    [[nodiscard]] int fd() const { return fd_; }
    [[nodiscard]] Clock::time_point sent_at() const { return sent_at_; }

    // Sends the next request. Requests are far below the socket buffer size
    // and only one is in flight, so a short write means the server is broken.
    void send_request() {
        ++sequence_;
        for (std::size_t i = 0; i < request_.size(); ++i) {
            request_[i] = static_cast<std::uint8_t>(id_ * 131u + sequence_ * 31u + i * 7u);
        }
        received_ = 0;
        sent_at_ = Clock::now();
        const ssize_t written = send(fd_, request_.data(), request_.size(), MSG_NOSIGNAL);
        if (written != static_cast<ssize_t>(request_.size())) {
            throw ConnectionFailure(written < 0 ? errno_text("send") : "short send");
        }
    }

    // Reads what is available; returns true once the whole reply is in and matches.
    bool receive() {
        const ssize_t got = recv(fd_, reply_.data() + received_, reply_.size() - received_, MSG_DONTWAIT);
        if (got == 0) {
            throw ConnectionFailure("server closed connection " + std::to_string(id_));
        }
        if (got < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                return false;
            }
            throw ConnectionFailure(errno_text("recv"));
        }
        received_ += static_cast<std::size_t>(got);
        if (received_ < reply_.size()) {
            return false;
        }
        if (reply_ != request_) {
            throw ConnectionFailure("connection " + std::to_string(id_) + ": reply " + std::to_string(sequence_) +
                                    " differs from its request");
        }
        return true;
    }

private:
    int fd_ = -1;
    std::uint32_t id_;
    std::uint32_t sequence_ = 0;
    std::vector<std::uint8_t> request_;
    std::vector<std::uint8_t> reply_;
    std::size_t received_ = 0;
    Clock::time_point sent_at_{};
};

struct WorkerResult {
    std::int64_t completed = 0;  // round trips completed inside the window
    std::vector<std::uint32_t> latencies_ns;
    std::exception_ptr error;
};

class Worker {
public:
    Worker(const Config& config, const sockaddr_in& address, unsigned index) {
        epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
        if (epoll_fd_ < 0) {
            throw ConnectionFailure(errno_text("epoll_create1"));
        }
        for (std::int64_t id = index; id < config.connections; id += config.threads) {
            connections_.push_back(std::make_unique<Connection>(address, static_cast<std::uint32_t>(id), config.size));
            epoll_event event{};
            event.events = EPOLLIN;
            event.data.ptr = connections_.back().get();
            if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, connections_.back()->fd(), &event) != 0) {
                throw ConnectionFailure(errno_text("epoll_ctl"));
            }
        }
    }

    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;
    ~Worker() { close(epoll_fd_); }

    void run(Clock::time_point window_start, Clock::time_point window_end, WorkerResult& result) {
        try {
            drive(window_start, window_end, result);
        } catch (...) {
            result.error = std::current_exception();
        }
    }

private:
    void drive(Clock::time_point window_start, Clock::time_point window_end, WorkerResult& result) {
        const double window_s = std::chrono::duration<double>(window_end - window_start).count();
        result.latencies_ns.reserve(static_cast<std::size_t>(window_s * 200'000));
        for (auto& connection : connections_) {
            connection->send_request();
        }
        epoll_event events[max_events];
        for (;;) {
            const int ready = epoll_wait(epoll_fd_, events, max_events, max_wait_ms);
            if (ready < 0 && errno != EINTR) {
                throw ConnectionFailure(errno_text("epoll_wait"));
            }
            const Clock::time_point now = Clock::now();
            if (now >= window_end) {
                return;
            }
            for (int i = 0; i < ready; ++i) {
                auto& connection = *static_cast<Connection*>(events[i].data.ptr);
                if (!connection.receive()) {
                    continue;
                }
                if (now >= window_start) {
                    ++result.completed;
                    result.latencies_ns.push_back(static_cast<std::uint32_t>(
                        std::min<std::int64_t>(std::chrono::nanoseconds(now - connection.sent_at()).count(),
                                               UINT32_MAX)));
                }
                connection.send_request();
            }
        }
    }

    int epoll_fd_ = -1;
    std::vector<std::unique_ptr<Connection>> connections_;
};

double process_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double percentile_us(std::vector<std::uint32_t>& samples, double fraction) {
    const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(samples.size() - 1));
    std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(rank), samples.end());
    return samples[rank] / 1000.0;
}

int run(const Config& config) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(config.port);
    if (inet_pton(AF_INET, config.host.c_str(), &address.sin_addr) != 1) {
        throw perf::UsageError("--host=" + config.host + ": expected an IPv4 address");
    }

    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned i = 0; i < config.threads; ++i) {
        workers.push_back(std::make_unique<Worker>(config, address, i));
    }
    std::vector<WorkerResult> results(config.threads);
    const double cpu_start = process_cpu_seconds();
    const Clock::time_point window_start =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.warmup));
    const Clock::time_point window_end =
        window_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.seconds));
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < config.threads; ++i) {
        threads.emplace_back([&, i] { workers[i]->run(window_start, window_end, results[i]); });
    }
    workers[0]->run(window_start, window_end, results[0]);
    for (std::thread& thread : threads) {
        thread.join();
    }
    const double cpu_used = process_cpu_seconds() - cpu_start;

    std::int64_t completed = 0;
    std::vector<std::uint32_t> latencies;
    for (WorkerResult& result : results) {
        if (result.error) {
            std::rethrow_exception(result.error);
        }
        completed += result.completed;
        latencies.insert(latencies.end(), result.latencies_ns.begin(), result.latencies_ns.end());
    }
    if (completed == 0) {
        throw perf::WrongResult("no round trip completed in " + std::to_string(config.seconds) + " s");
    }
    std::fprintf(stderr, "loadgen: %lld round trips; %u thread(s) used %.2f s CPU over %.2f s\n",
                 static_cast<long long>(completed), config.threads, cpu_used, config.warmup + config.seconds);

    const double rps = static_cast<double>(completed) / config.seconds;
    const double p50 = percentile_us(latencies, 0.50);
    const double p99 = percentile_us(latencies, 0.99);
    const perf::FigureWriter writer(config.mixed ? "mixed" : "echo", config.label, config.loops, config.json,
                                    config.connections, card_connections);
    writer.emit({"rps", rps, config.mixed ? "req/s" : "rt/s"});
    writer.emit({"p50_us", p50, "us"});
    writer.emit({"p99_us", p99, "us"});
    writer.emit_size("connections");
    return perf::exit_ok;
}

bool is_label(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
}

Config parse_config(const perf::Options& options) {
    Config config;
    if (!options.positional().empty()) {
        throw perf::UsageError("unexpected argument " + options.positional().front());
    }
    const auto port = options.integer("port", 1, 65535);
    if (!port) {
        throw perf::UsageError("--port is required");
    }
    config.port = static_cast<std::uint16_t>(*port);
    config.host = options.text("host", config.host);
    config.label = options.text("label", config.label);
    if (!is_label(config.label)) {
        throw perf::UsageError("--label: letters, digits, '.', '-' and '_' only");
    }
    config.loops = static_cast<unsigned>(options.integer("loops", 1, 1024).value_or(config.loops));
    config.threads = static_cast<unsigned>(options.integer("threads", 1, 64).value_or(config.threads));
    config.connections = options.integer("connections", 1, 60'000).value_or(config.connections);
    config.threads = static_cast<unsigned>(std::min<std::int64_t>(config.threads, config.connections));
    config.size = static_cast<std::size_t>(options.integer("size", 1, 1 << 16).value_or(64));
    config.seconds = options.number("seconds", 0.01).value_or(config.seconds);
    config.warmup = options.number("warmup", 0).value_or(config.warmup);
    config.mixed = options.flag("mixed");
    config.json = options.flag("json");
    return config;
}

}  // namespace

int main(int argc, char** argv) {
    const char* synopsis = "loadgen --port=P [options]";
    const std::vector<perf::OptionSpec> specs{
        {"host", true, "server IPv4 address (default 127.0.0.1)"},
        {"port", true, "server port (required)"},
        {"label", true, "runtime name printed in the figures (default: server)"},
        {"loops", true, "loop count of the server, printed in the figures (default 1)"},
        {"threads", true, "load generator threads (default 1)"},
        {"connections", true, "concurrent connections (default 100)"},
        {"size", true, "message size in bytes (default 64)"},
        {"seconds", true, "measured duration (default 5)"},
        {"warmup", true, "unmeasured lead-in in seconds (default 0.5)"},
        {"mixed", false, "report as the mixed row (bench 'mixed', req/s)"},
        {"json", false, "print JSON lines"},
        {"help", false, "print this help"},
    };
    try {
        const perf::Options options(argc, argv, specs);
        if (options.flag("help")) {
            std::fputs(options.usage(synopsis).c_str(), stdout);
            return perf::exit_ok;
        }
        return run(parse_config(options));
    } catch (const perf::UsageError& error) {
        std::fprintf(stderr, "loadgen: %s\n%s", error.what(), perf::Options(1, argv, specs).usage(synopsis).c_str());
        return perf::exit_usage;
    } catch (const perf::WrongResult& error) {
        std::fprintf(stderr, "loadgen: %s\n", error.what());
        return perf::exit_wrong_result;
    }
}
