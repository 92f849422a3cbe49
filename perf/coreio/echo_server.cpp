// coreio_echo_server: the card's echo row written with coreio streams, the way
// an asyncio user writes it (start_server, reader.read, writer.write, drain).
//
//     coreio_echo_server [--loops=N] [--stealing=on|off] [--port=P] [--accept=per_loop|round_robin] [--metrics]
//
// Shape: coreio::start_server on 127.0.0.1 with its default accept mode (one
// SO_REUSEPORT listening socket per loop, each connection served by a task that
// starts on the loop that accepted it). Each connection's task reads what is
// available and writes it back, then drains.
//
// Prints `port=<P>` once listening, then serves until SIGTERM or SIGINT
// (caught with coreio::add_signal_handler, which closes the server), and
// exits 0.
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio/net/net.hpp"
#include "options.hpp"

namespace {

constexpr std::ptrdiff_t read_size = 16 * 1024; // the same buffer as the Asio peer

void echo(coreio::StreamReader& reader, coreio::StreamWriter& writer) {
  try {
    for (std::string data = reader.read(read_size); !data.empty(); data = reader.read(read_size)) {
      writer.write(data);
      writer.drain();
    }
  } catch (const coreio::ConnectionError&) {
    // The load generator resets its connections at the end of a run.
  }
  writer.close();
}

void print_metrics(const coreio::Metrics& m) {
  for (const auto& l : m.loops)
    std::fprintf(stderr,
                 "loop %zu: tasks_run=%llu steals=%llu tasks_stolen=%llu parks=%llu io_events=%llu inbox=%llu "
                 "uring_completions=%llu uring_submits=%llu\n",
                 l.index, static_cast<unsigned long long>(l.tasks_run), static_cast<unsigned long long>(l.steals),
                 static_cast<unsigned long long>(l.tasks_stolen), static_cast<unsigned long long>(l.parks),
                 static_cast<unsigned long long>(l.io_events), static_cast<unsigned long long>(l.inbox_received),
                 static_cast<unsigned long long>(l.uring_completions), static_cast<unsigned long long>(l.uring_submits));
}

int serve(std::size_t loops, bool stealing, unsigned short port, bool metrics, coreio::AcceptMode mode) {
  coreio::run(
      [port, metrics, mode] {
        auto server = coreio::start_server(echo, "127.0.0.1", port, {.accept_mode = mode});
        auto& loop = coreio::get_running_loop();
        for (int sig : {SIGTERM, SIGINT})
          coreio::add_signal_handler(loop, sig, [server]() mutable {
            server.close();
            server.close_clients();
          });
        std::printf("port=%u\n", static_cast<unsigned>(server.sockets().at(0).port));
        std::fflush(stdout);
        server.serve_forever(); // returns once a signal closed the server
        for (int sig : {SIGTERM, SIGINT}) coreio::remove_signal_handler(loop, sig);
        if (metrics) print_metrics(loop.runtime().metrics());
      },
      {.loops = loops, .stealing = stealing});
  return perf::exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  const char* synopsis =
      "coreio_echo_server [--loops=N] [--stealing=on|off] [--port=P] [--accept=per_loop|round_robin] [--metrics]";
  const std::vector<perf::OptionSpec> specs{
      {"loops", true, "event loops (default: all CPUs)"},
      {"stealing", true, "work stealing between loops: on (default) or off"},
      {"port", true, "TCP port on 127.0.0.1 (default 0: any free port)"},
      {"metrics", false, "print the runtime's per-loop counters on stderr at exit"},
      {"accept", true, "per_loop (default: an SO_REUSEPORT listener per loop) or round_robin"},
      {"help", false, "print this help"},
  };
  try {
    const perf::Options options(argc, argv, specs);
    if (options.flag("help")) {
      std::fputs(options.usage(synopsis).c_str(), stdout);
      return perf::exit_ok;
    }
    if (!options.positional().empty()) throw perf::UsageError("unexpected argument " + options.positional().front());
    const auto hardware = static_cast<std::int64_t>(std::max(1u, std::thread::hardware_concurrency()));
    const auto loops = options.integer("loops", 1, 1024).value_or(hardware);
    const std::string stealing = options.text("stealing").value_or("on");
    if (stealing != "on" && stealing != "off") throw perf::UsageError("--stealing must be on or off");
    const auto port = options.integer("port", 0, 65535).value_or(0);
    const std::string accept = options.text("accept").value_or("per_loop");
    if (accept != "per_loop" && accept != "round_robin") throw perf::UsageError("--accept must be per_loop or round_robin");
    return serve(static_cast<std::size_t>(loops), stealing == "on", static_cast<unsigned short>(port),
                 options.flag("metrics"),
                 accept == "per_loop" ? coreio::AcceptMode::per_loop : coreio::AcceptMode::round_robin);
  } catch (const perf::UsageError& error) {
    std::fprintf(stderr, "%s: %s\n%s", argv[0], error.what(), perf::Options(1, argv, specs).usage(synopsis).c_str());
    return perf::exit_usage;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: %s\n", argv[0], error.what());
    return EXIT_FAILURE;
  }
}
