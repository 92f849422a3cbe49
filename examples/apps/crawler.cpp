// A concurrent web crawler: every discovered page is fetched by its own task,
// a Semaphore bounds how many requests are in flight, and every request has a
// deadline.
//
//     crawler http://127.0.0.1:8000/ [--concurrency 4] [--timeout-ms 1000] [--max-pages 100]
//
// It follows links (href="/...") on the start URL's host only, fetches each
// URL once, prints one line per URL as it finishes:
//
//     200 /page/3 (1042 bytes, 3 links)
//     404 /missing
//     timeout /slow/0
//     error /down: Connection refused
//
// and a summary. What it shows:
//  - Structured concurrency: one TaskGroup holds every fetch; a fetch adds its
//    page's links to the group as new tasks (children may add siblings), and
//    the group's end is the crawl's end. A failed or timed-out fetch is a
//    result, not an error of the group.
//  - A Semaphore as a concurrency limit: at most --concurrency requests are
//    open at once, however many tasks are waiting, on however many loops.
//  - Per-request deadlines with coreio::timeout(): when it passes, the fetch
//    is cancelled wherever it is (connecting, writing, reading) and the
//    connection is dropped.
//  - An HTTP/1.0-style client on coreio's streams: open_connection, write,
//    readuntil("\r\n\r\n"), readexactly(Content-Length).
#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/net/connection.hpp>
#include <coreio/sync/semaphore.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

namespace {

struct Origin {
  std::string host;
  std::uint16_t port = 80;
};

/// Splits "http://host:port/path" into origin and path.
std::optional<std::pair<Origin, std::string>> parse_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme)) return std::nullopt;
  url.remove_prefix(scheme.size());
  const auto slash = url.find('/');
  std::string_view hostport = url.substr(0, slash);
  std::string path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  Origin origin;
  const auto colon = hostport.rfind(':');
  origin.host = std::string(hostport.substr(0, colon));
  if (colon != std::string_view::npos) {
    const std::string_view p = hostport.substr(colon + 1);
    if (std::from_chars(p.data(), p.data() + p.size(), origin.port).ec != std::errc()) return std::nullopt;
  }
  if (origin.host.empty()) return std::nullopt;
  return std::pair{origin, path};
}

/// The href="/..." targets of a page (same-host absolute paths only).
std::vector<std::string> extract_links(std::string_view html) {
  std::vector<std::string> links;
  constexpr std::string_view attr = "href=\"";
  for (auto pos = html.find(attr); pos != std::string_view::npos; pos = html.find(attr, pos)) {
    pos += attr.size();
    const auto end = html.find('"', pos);
    if (end == std::string_view::npos) break;
    std::string_view link = html.substr(pos, end - pos);
    if (link.starts_with('/') && !link.starts_with("//")) links.emplace_back(link.substr(0, link.find('#')));
  }
  return links;
}

struct Page {
  int status = 0;
  std::string body;
};

/// One GET on its own connection. Throws on network errors.
Page fetch(const Origin& origin, const std::string& path) {
  auto [reader, writer] = coreio::open_connection(origin.host, origin.port);
  writer.write(fmt::format("GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: coreio-crawler\r\nConnection: close\r\n\r\n",
                           path, origin.host, origin.port));
  writer.drain();
  const std::string head = reader.readuntil("\r\n\r\n");
  Page page;
  // "HTTP/1.1 200 OK"
  const auto sp = head.find(' ');
  if (sp == std::string::npos || std::from_chars(head.data() + sp + 1, head.data() + head.size(), page.status).ec != std::errc())
    throw std::runtime_error("malformed response");
  std::optional<std::size_t> length;
  std::string lower = head;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (const auto cl = lower.find("\r\ncontent-length:"); cl != std::string::npos) {
    std::size_t n = 0;
    std::size_t at = cl + 17;
    while (at < lower.size() && lower[at] == ' ') ++at;
    std::from_chars(lower.data() + at, lower.data() + lower.size(), n);
    length = n;
  }
  page.body = length ? reader.readexactly(*length) : reader.read(-1);
  writer.close();
  return page;
}

class Crawler {
public:
  Crawler(Origin origin, std::size_t concurrency, std::chrono::milliseconds timeout, std::size_t max_pages)
      : origin_(std::move(origin)), limit_(concurrency), sem_(static_cast<std::int64_t>(concurrency)),
        timeout_(timeout), max_pages_(max_pages) {}

  void run(const std::string& start) {
    coreio::task_group([&](coreio::TaskGroup& tg) {
      if (mark_seen(start)) tg.create_task([this, &tg, start] { crawl(tg, start); });
    });
    fmt::print("crawled {} urls: {} ok, {} not found, {} timed out, {} failed; at most {} requests in flight (limit {})\n",
               ok_ + not_found_ + timed_out_ + failed_, ok_, not_found_, timed_out_, failed_,
               max_in_flight_.load(), limit_);
  }

private:
  void crawl(coreio::TaskGroup& tg, const std::string& path) {
    std::optional<Page> page;
    std::string problem;
    {
      std::lock_guard permit(sem_); // waits while `concurrency` requests are open
      InFlight counting(*this);
      try {
        page = coreio::timeout(timeout_, [&] { return fetch(origin_, path); });
      } catch (const coreio::TimeoutError&) {
        problem = "timeout";
      } catch (const std::exception& e) {
        problem = e.what();
      }
    }
    std::lock_guard guard(mu_); // counters and output; held without suspending
    if (!page) {
      if (problem == "timeout") {
        ++timed_out_;
        fmt::print("timeout {}\n", path);
      } else {
        ++failed_;
        fmt::print("error {}: {}\n", path, problem);
      }
      return;
    }
    if (page->status != 200) {
      (page->status == 404 ? not_found_ : failed_)++;
      fmt::print("{} {}\n", page->status, path);
      return;
    }
    ++ok_;
    std::vector<std::string> links = extract_links(page->body);
    fmt::print("200 {} ({} bytes, {} links)\n", path, page->body.size(), links.size());
    for (auto& link : links)
      if (mark_seen_locked(link)) tg.create_task([this, &tg, link] { crawl(tg, link); });
  }

  bool mark_seen(const std::string& path) {
    std::lock_guard guard(mu_);
    return mark_seen_locked(path);
  }
  bool mark_seen_locked(const std::string& path) {
    if (seen_.size() >= max_pages_ || seen_.contains(path)) return false;
    seen_.insert(path);
    return true;
  }

  /// Counts the requests in flight and records the peak.
  struct InFlight {
    explicit InFlight(Crawler& c) : c_(c) {
      // Relaxed: a statistic; the semaphore, not these counters, bounds the requests.
      const int now = c_.in_flight_.fetch_add(1, std::memory_order_relaxed) + 1;
      int peak = c_.max_in_flight_.load(std::memory_order_relaxed);
      while (now > peak && !c_.max_in_flight_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
      }
    }
    ~InFlight() { c_.in_flight_.fetch_sub(1, std::memory_order_relaxed); }
    Crawler& c_;
  };

  Origin origin_;
  std::size_t limit_;
  coreio::Semaphore sem_;
  std::chrono::milliseconds timeout_;
  std::size_t max_pages_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
  std::mutex mu_; // guards everything below
  std::set<std::string> seen_;
  int ok_ = 0, not_found_ = 0, timed_out_ = 0, failed_ = 0;
};

} // namespace

int main(int argc, char** argv) {
  std::optional<std::string> url;
  std::size_t concurrency = 4, max_pages = 100;
  int timeout_ms = 1000;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--concurrency" && i + 1 < argc) concurrency = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--timeout-ms" && i + 1 < argc) timeout_ms = std::atoi(argv[++i]);
    else if (arg == "--max-pages" && i + 1 < argc) max_pages = std::max(1, std::atoi(argv[++i]));
    else url = std::string(arg);
  }
  auto parsed = url ? parse_url(*url) : std::nullopt;
  if (!parsed) {
    std::cerr << "usage: crawler http://host:port/path [--concurrency N] [--timeout-ms T] [--max-pages M]\n";
    return 2;
  }
  auto& [origin, path] = *parsed;
  coreio::run([&] { Crawler(origin, concurrency, std::chrono::milliseconds(timeout_ms), max_pages).run(path); },
              examples::shape());
}
