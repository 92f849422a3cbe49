// A small, fast HTTP/1.1 server on coreio's streams: keep-alive, pipelining,
// a connection per task, the connections spread over every loop.
//
//     http_server [--host 127.0.0.1] [--port 8080] [--idle-timeout-ms 5000]
//
// Routes:
//     GET  /                  "hello, world"
//     GET  /hello?name=NAME   "hello, NAME"
//     GET  /sleep?ms=N        answers after N ms (the connection's task
//                             sleeps; the loop serves everyone else meanwhile)
//     GET  /stats             requests served so far, connections open
//     POST /echo              the request body
//     HEAD on any GET route   the same headers, no body
//
// One task per connection reads a request head with readuntil("\r\n\r\n"),
// the body with readexactly(Content-Length), answers, and loops. Requests on
// one connection are handled strictly one after the other and answered in
// order, so pipelined requests (several sent before the first answer) work
// without extra bookkeeping: they simply wait in the reader's buffer.
// write() never suspends (the writer coalesces queued writes into gather
// writes); drain() waits only while a slow client lets the output pile up
// above the high-water mark, which is the back-pressure.
//
// Limits: a head larger than the reader's limit (64 KiB) gets 431, a malformed
// request 400, a body larger than 1 MiB 413, a chunked request body 501 (all
// followed by closing the connection); a connection idle longer than the
// idle timeout is closed, and so is one whose client sends requests but does
// not read the answers for that long (drain() waits at most the idle
// timeout). A client that disconnects mid-request or mid-response ends its
// connection quietly: that is not a server error. --help prints the options. SIGINT or SIGTERM closes the server: it stops
// accepting, lets every connection finish its current request, and exits.
//
// Run it with COREIO_LOOPS=1 to get asyncio's single-loop design, or with the
// default (a loop per core, work stealing) and compare with a load generator.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/net/server.hpp>
#include <coreio/net/signals.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

namespace {

constexpr std::size_t max_body = 1 << 20;

struct Request {
  std::string method;
  std::string target; // path and query
  int minor_version = 1;
  std::vector<std::pair<std::string, std::string>> headers; // names lower-cased
  std::string body;

  [[nodiscard]] const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return &v;
    return nullptr;
  }
  [[nodiscard]] std::string_view path() const {
    return std::string_view(target).substr(0, target.find('?'));
  }
  [[nodiscard]] std::optional<std::string> query(std::string_view key) const {
    const auto q = target.find('?');
    if (q == std::string::npos) return std::nullopt;
    std::string_view rest = std::string_view(target).substr(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      const auto eq = pair.find('=');
      if (pair.substr(0, eq) == key) return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
    return std::nullopt;
  }
  /// HTTP/1.1 keeps the connection unless "Connection: close"; 1.0 closes
  /// unless "Connection: keep-alive".
  [[nodiscard]] bool keep_alive() const {
    std::string value;
    if (const std::string* c = header("connection")) value = *c;
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (minor_version >= 1) return value.find("close") == std::string::npos;
    return value.find("keep-alive") != std::string::npos;
  }
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

/// A request the server refuses: answered with `status`, then the connection closes.
struct BadRequest {
  int status;
  const char* reason;
};

const char* reason_phrase(int status) {
  switch (status) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 413: return "Content Too Large";
  case 431: return "Request Header Fields Too Large";
  case 501: return "Not Implemented";
  default: return "Error";
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Parses "METHOD target HTTP/1.x\r\n(Name: value\r\n)*\r\n".
Request parse_head(std::string_view head) {
  Request req;
  auto next_line = [&head]() {
    const auto eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
    return line;
  };
  std::string_view line = next_line();
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) throw BadRequest{400, "malformed request line"};
  req.method = std::string(line.substr(0, sp1));
  req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  const std::string_view version = line.substr(sp2 + 1);
  if (version == "HTTP/1.1") req.minor_version = 1;
  else if (version == "HTTP/1.0") req.minor_version = 0;
  else throw BadRequest{400, "unsupported HTTP version"};
  if (req.target.empty() || req.target.front() != '/') throw BadRequest{400, "bad request target"};

  for (line = next_line(); !line.empty(); line = next_line()) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) throw BadRequest{400, "malformed header"};
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
    req.headers.emplace_back(std::move(name), std::string(trim(line.substr(colon + 1))));
  }
  return req;
}

class HttpServer {
public:
  explicit HttpServer(std::chrono::milliseconds idle_timeout) : idle_timeout_(idle_timeout) {}

  /// The connection's task: requests in, responses out, in order.
  void serve(coreio::StreamReader& reader, coreio::StreamWriter& writer) {
    // Relaxed: a statistic for /stats, orders nothing.
    connections_.fetch_add(1, std::memory_order_relaxed);
    struct Leave {
      std::atomic<std::int64_t>& n;
      ~Leave() { n.fetch_sub(1, std::memory_order_relaxed); }
    } leave{connections_};
    try {
      while (true) {
        std::optional<Request> req;
        try {
          req = read_request(reader);
        } catch (const BadRequest& bad) {
          send(writer, Response{bad.status, std::string(bad.reason) + "\n"}, false, false);
          break;
        }
        if (!req) break; // the client closed the connection, or stayed idle too long
        const bool keep = req->keep_alive();
        const bool head_only = req->method == "HEAD";
        Response resp = route(*req);
        requests_.fetch_add(1, std::memory_order_relaxed); // relaxed: a statistic, orders nothing
        send(writer, resp, keep, head_only);
        if (!keep) break;
        if (!drain_in_time(writer)) return;
      }
      if (drain_in_time(writer)) writer.close();
    } catch (const coreio::ConnectionError&) {
      // The client went away mid-request or mid-response (reset, broken
      // pipe): an ordinary end of a connection, nobody left to answer.
      writer.abort();
    }
  }

private:
  /// The next request, or nullopt at a clean end of the connection.
  std::optional<Request> read_request(coreio::StreamReader& reader) {
    std::string head;
    try {
      head = coreio::timeout(idle_timeout_, [&] { return reader.readuntil("\r\n\r\n"); });
    } catch (const coreio::IncompleteReadError& e) {
      if (e.partial().empty()) return std::nullopt; // closed between requests
      throw BadRequest{400, "truncated request"};
    } catch (const coreio::LimitOverrunError&) {
      throw BadRequest{431, "request head too large"};
    } catch (const coreio::TimeoutError&) {
      return std::nullopt; // idle keep-alive connection
    }
    Request req = parse_head(head);
    if (const std::string* te = req.header("transfer-encoding"); te && *te != "identity")
      throw BadRequest{501, "chunked request bodies are not supported"};
    if (const std::string* cl = req.header("content-length")) {
      std::size_t n = 0;
      const auto [end, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
      if (ec != std::errc() || end != cl->data() + cl->size()) throw BadRequest{400, "bad Content-Length"};
      if (n > max_body) throw BadRequest{413, "request body too large"};
      try {
        req.body = reader.readexactly(n);
      } catch (const coreio::IncompleteReadError&) {
        throw BadRequest{400, "truncated body"};
      }
    }
    return req;
  }

  Response route(const Request& req) {
    const std::string_view path = req.path();
    const bool get = req.method == "GET" || req.method == "HEAD";
    if (path == "/echo") {
      if (req.method != "POST") return {405, "use POST\n"};
      return {200, req.body, "application/octet-stream"};
    }
    if (!get) return {405, "method not allowed\n"};
    if (path == "/") return {200, "hello, world\n"};
    if (path == "/hello") return {200, fmt::format("hello, {}\n", req.query("name").value_or("stranger"))};
    if (path == "/stats")
      return {200,
              fmt::format("requests: {}\nconnections: {}\n", requests_.load(std::memory_order_relaxed),
                          connections_.load(std::memory_order_relaxed))};
    if (path == "/sleep") {
      int ms = 0;
      const std::string arg = req.query("ms").value_or("0");
      std::from_chars(arg.data(), arg.data() + arg.size(), ms);
      coreio::sleep(std::chrono::milliseconds(std::clamp(ms, 0, 10'000)));
      return {200, fmt::format("slept {} ms\n", ms)};
    }
    return {404, "not found\n"};
  }

  /// drain(), for at most the idle timeout: a client that sends requests but
  /// does not read the answers would otherwise hold its connection (and the
  /// answers queued for it) forever. Aborts the connection and returns false
  /// if the client did not read in time.
  bool drain_in_time(coreio::StreamWriter& writer) {
    try {
      coreio::timeout(idle_timeout_, [&] { writer.drain(); });
      return true;
    } catch (const coreio::TimeoutError&) {
      writer.abort();
      return false;
    }
  }

  static void send(coreio::StreamWriter& writer, const Response& resp, bool keep_alive, bool head_only) {
    writer.write(fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n",
                             resp.status, reason_phrase(resp.status), resp.content_type, resp.body.size(),
                             keep_alive ? "keep-alive" : "close"));
    if (!head_only) writer.write(resp.body);
  }

  std::chrono::milliseconds idle_timeout_;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::int64_t> connections_{0}; ///< open connections, this one included
};

constexpr const char* usage =
    "usage: http_server [--host HOST] [--port PORT] [--idle-timeout-ms MS]\n"
    "  --host HOST           address to listen on (default 127.0.0.1)\n"
    "  --port PORT           0..65535, 0 picks a free port (default 8080)\n"
    "  --idle-timeout-ms MS  1..86400000: closes a connection idle, or not\n"
    "                        reading its answers, this long (default 5000)\n";

/// A whole decimal integer in [lo, hi], or nullopt.
std::optional<long> parse_int(std::string_view text, long lo, long hi) {
  long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

} // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 8080;
  int idle_ms = 5000;
  const auto bad = [](std::string_view flag, std::string_view value, std::string_view want) {
    std::cerr << "http_server: " << flag << ": '" << value << "' is not " << want << "\n" << usage;
    return 2;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << usage;
      return 0;
    }
    if (flag != "--host" && flag != "--port" && flag != "--idle-timeout-ms") {
      std::cerr << "http_server: unknown option '" << flag << "'\n" << usage;
      return 2;
    }
    if (i + 1 >= argc) {
      std::cerr << "http_server: " << flag << " needs a value\n" << usage;
      return 2;
    }
    const std::string_view value = argv[++i];
    if (flag == "--host") {
      if (value.empty()) return bad(flag, value, "a host name or address");
      host = value;
    } else if (flag == "--port") {
      const auto v = parse_int(value, 0, 65535);
      if (!v) return bad(flag, value, "a port number (0..65535)");
      port = static_cast<int>(*v);
    } else {
      const auto v = parse_int(value, 1, 86'400'000);
      if (!v) return bad(flag, value, "a timeout in milliseconds (1..86400000)");
      idle_ms = static_cast<int>(*v);
    }
  }

  coreio::run(
      [&] {
        HttpServer http{std::chrono::milliseconds(idle_ms)};
        auto server = coreio::start_server(
            [&http](coreio::StreamReader& reader, coreio::StreamWriter& writer) { http.serve(reader, writer); }, host,
            static_cast<std::uint16_t>(port));
        coreio::Loop& loop = coreio::get_running_loop();
        for (int sig : {SIGINT, SIGTERM}) coreio::add_signal_handler(loop, sig, [server]() mutable { server.close(); });
        fmt::print("listening on http://{}\n", server.sockets().front().to_string());
        std::fflush(stdout); // tell whoever started us where to connect
        server.serve_forever(); // until a signal closes the server and its connections are done
        fmt::print("server closed\n");
      },
      examples::shape());
}
