// The installed package's smoke test: core (tasks, gather, a loop's
// io_context), sync (Queue) and net (start_server, open_connection) through
// coreio::coreio alone, on 2 loops with stealing unless COREIO_LOOPS /
// COREIO_STEALING say otherwise (RuntimeConfig::from_env). Exits non-zero on
// any wrong answer.
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <coreio/coreio.hpp>
#include <coreio/net/net.hpp>
#include <coreio/sync/queue.hpp>

extern "C" long plugin_queue_sum(int n);

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
  if (!ok) ++failures;
}

} // namespace

int main() {
  coreio::RuntimeConfig config = coreio::RuntimeConfig::from_env({.loops = 2, .stealing = true});
  std::printf("coreio consumer: %zu loops, stealing %s\n", config.loops, config.stealing ? "on" : "off");
  coreio::run(
      [] {
        // core + sync: four workers drain one queue.
        coreio::Queue<int> jobs;
        for (int i = 1; i <= 100; ++i) jobs.put_nowait(i);
        std::vector<coreio::Task<long>> workers;
        for (int w = 0; w < 4; ++w)
          workers.push_back(coreio::create_task([&jobs] {
            long sum = 0;
            while (auto item = jobs.try_get()) {
              sum += *item;
              coreio::yield_now(); // let the other workers (and loops) take some
            }
            return sum;
          }));
        long total = 0;
        for (auto& w : workers) total += w.get();
        check(total == 5050, "Queue: 4 tasks summed 1..100 = " + std::to_string(total));

        // core: the loop's io_context through the public accessor.
        coreio::Loop& loop = coreio::get_running_loop();
        check(!loop.io_context().stopped(), "Loop::io_context() of loop " + std::to_string(loop.index()));

        // net: an echo server on loopback and open_connection.
        auto server = coreio::start_server(
            [](coreio::StreamReader& reader, coreio::StreamWriter& writer) {
              std::string line = reader.readline();
              writer.write("echo: " + line);
              writer.drain();
            },
            "127.0.0.1", 0);
        const auto port = server.sockets().at(0).port;
        auto [reader, writer] = coreio::open_connection("127.0.0.1", port);
        writer.write("hello coreio\n");
        writer.drain();
        const std::string reply = reader.readline();
        writer.close();
        writer.wait_closed();
        server.close();
        server.wait_closed();
        check(reply == "echo: hello coreio\n",
              "open_connection to 127.0.0.1:" + std::to_string(port) + " got '" + reply.substr(0, reply.size() - 1) +
                  "'");
      },
      config);

  const long plugin = plugin_queue_sum(1000);
  check(plugin == 500500, "shared library with coreio inside: Queue sum 1..1000 = " + std::to_string(plugin));
  std::printf("%s\n", failures ? "basic consumer: FAILED" : "basic consumer: all checks passed");
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
