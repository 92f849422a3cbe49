// Boost.Beast over coreio: an HTTP/1.1 server and its clients, all coreio
// tasks awaiting Beast's operations with coreio::use_task, on 2 loops with work
// stealing, over 127.0.0.1 only. Each of `clients` tasks GETs /item/<i> and
// checks the status and body; the server answers exactly that many requests,
// so the program ends by itself. Exits non-zero on any wrong answer.
// Connection i's server socket lives on loop i % 2 (async_accept onto that
// loop's io_context), and both its tasks start there (unpinned: stealing may
// still move them), so both loops' io_contexts carry HTTP traffic.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <coreio/coreio.hpp>
#include <coreio/use_task.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr int clients = 16;
/// Requests whose handler finished on each loop (printed, not checked: with
/// stealing, where a task ends is the scheduler's choice).
std::atomic<int> served_on[2];

/// One request, one response, then the server closes the connection.
void serve(tcp::socket socket) {
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  http::async_read(socket, buffer, request, coreio::use_task);
  http::response<http::string_body> response{http::status::ok, request.version()};
  response.set(http::field::server, "coreio-beast");
  response.set(http::field::content_type, "text/plain");
  response.body() = "hello " + std::string(request.target());
  response.keep_alive(false);
  response.prepare_payload();
  http::async_write(socket, response, coreio::use_task);
  // Relaxed: a tally read after every server task has been joined.
  served_on[coreio::get_running_loop().index() % 2].fetch_add(1, std::memory_order_relaxed);
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

/// GET /item/<i>; returns "" (after printing why) on a wrong answer.
std::string fetch(tcp::endpoint server, int i) {
  // The socket lives on the loop running this task (get_running_loop()).
  tcp::socket socket(coreio::get_running_loop().io_context());
  socket.async_connect(server, coreio::use_task);
  const std::string target = "/item/" + std::to_string(i);
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::user_agent, "coreio-beast-client");
  http::async_write(socket, request, coreio::use_task);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::async_read(socket, buffer, response, coreio::use_task);
  if (response.result() != http::status::ok || response.body() != "hello " + target) {
    std::printf("FAILED: GET %s -> %u '%s'\n", target.c_str(), response.result_int(), response.body().c_str());
    return {};
  }
  return response.body();
}

} // namespace

int main() {
  const int ok = coreio::run(
      [] {
        coreio::Runtime& runtime = *coreio::Runtime::current();
        tcp::acceptor acceptor(runtime.loop(0).io_context(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        const tcp::endpoint endpoint = acceptor.local_endpoint();
        std::printf("beast server on %s:%u, %zu loops, stealing on\n", endpoint.address().to_string().c_str(),
                    endpoint.port(), runtime.num_loops());

        auto server = coreio::create_task([&acceptor] {
          std::vector<coreio::Task<void>> connections;
          coreio::Runtime& rt = *coreio::Runtime::current();
          for (int i = 0; i < clients; ++i) {
            coreio::Loop& home = rt.loop(i % 2);
            tcp::socket socket = acceptor.async_accept(home.io_context(), coreio::use_task);
            connections.push_back(
                coreio::create_task([s = std::move(socket)]() mutable { serve(std::move(s)); }, {.loop = &home}));
          }
          for (auto& c : connections) c.get();
        });

        std::vector<coreio::Task<std::string>> requests;
        for (int i = 0; i < clients; ++i)
          requests.push_back(
              coreio::create_task([endpoint, i] { return fetch(endpoint, i); }, {.loop = &runtime.loop(i % 2)}));
        int good = 0;
        for (int i = 0; i < clients; ++i) {
          const std::string body = requests[i].get();
          if (!body.empty()) ++good;
          if (i < 3) std::printf("GET /item/%d -> 200 '%s'\n", i, body.c_str());
        }
        server.get();
        std::printf("requests served on loop 0: %d, loop 1: %d\n", served_on[0].load(std::memory_order_relaxed),
                    served_on[1].load(std::memory_order_relaxed));
        return good;
      },
      {.loops = 2, .stealing = true});
  std::printf("beast consumer: %d of %d HTTP exchanges correct\n", ok, clients);
  return ok == clients ? EXIT_SUCCESS : EXIT_FAILURE;
}
