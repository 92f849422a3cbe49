// coreio_bench: the core rows of the benchmark card, in any runtime shape.
//
//   coreio_bench <spawn|yield|pingpong|skynet|timers|inject|to_thread>
//                --loops=N --stealing=on|off [--quick] [--json] [--n=N]
//   coreio_bench <echo_server|mixed_server> --loops=N --stealing=on|off
//
// (The two servers are driven by perf/loadgen for the echo and mixed rows.)
//
// Each run verifies its own result (exit 1 on a mismatch) and prints
// `<bench> <runtime> loops=<n> <metric>=<value> <unit>` lines (JSON objects
// with --json), where runtime is coreio-1 (one loop), coreio-sn (shared-
// nothing) or coreio-ws (work stealing). Peak RSS and minor page faults of the
// process are printed too: on a VM the first touch of a page dominates
// spawn-heavy work (perf/README.md), so they are reported beside every time.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/detail/waiter.hpp>
#if __has_include(<coreio/sync/queue.hpp>)
#include <coreio/sync/queue.hpp>
#define COREIO_BENCH_HAVE_QUEUE 1
#endif
#if __has_include(<coreio/to_thread.hpp>)
#include <coreio/to_thread.hpp>
#define COREIO_BENCH_HAVE_TO_THREAD 1
#endif
#if __has_include(<coreio/net/server.hpp>)
#include <coreio/net/exceptions.hpp>
#include <coreio/net/server.hpp>
#include <coreio/net/streams.hpp>
#include <csignal>
#include <pthread.h>
#define COREIO_BENCH_HAVE_NET 1
#endif

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string bench;
  std::size_t loops = 2;
  bool stealing = true;
  bool quick = false;
  bool json = false;
  long n = 0; // 0: the card's default (scaled down with --quick)
};

std::string runtime_label(const Options& o) {
  if (o.loops == 1) return "coreio-1";
  return o.stealing ? "coreio-ws" : "coreio-sn";
}

void emit(const Options& o, const char* metric, double value, const char* unit) {
  if (o.json)
    std::printf("{\"bench\":\"%s\",\"runtime\":\"%s\",\"loops\":%zu,\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"}\n",
                o.bench.c_str(), runtime_label(o).c_str(), o.loops, metric, value, unit);
  else
    std::printf("%s %s loops=%zu %s=%.6g %s\n", o.bench.c_str(), runtime_label(o).c_str(), o.loops, metric, value, unit);
  std::fflush(stdout);
}

void emit_memory(const Options& o) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  emit(o, "peak_rss", static_cast<double>(ru.ru_maxrss) / 1024.0, "MiB");
  emit(o, "minor_faults", static_cast<double>(ru.ru_minflt), "faults");
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "coreio_bench: result check failed: %s\n", what.c_str());
  std::exit(1);
}

long scaled(const Options& o, long full, long quick) { return o.n ? o.n : (o.quick ? quick : full); }

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// ---------------------------------------------------------------- rows

void bench_spawn(const Options& o, const coreio::RuntimeConfig& cfg) {
  const long n = scaled(o, 1'000'000, 200'000);
  const double secs = coreio::run(
      [n] {
        const auto t0 = Clock::now();
        std::vector<coreio::Task<long>> ts;
        ts.reserve(n);
        for (long i = 0; i < n; ++i) ts.push_back(coreio::create_task([i] { return i; }));
        long sum = 0;
        for (auto& t : ts) sum += t.get();
        const double s = seconds_since(t0);
        if (sum != n * (n - 1) / 2) fail("spawn sum " + std::to_string(sum));
        return s;
      },
      cfg);
  emit(o, "ns_per_task", secs * 1e9 / n, "ns");
  emit_memory(o);
}

void bench_yield(const Options& o, const coreio::RuntimeConfig& cfg) {
  const long tasks = 1000;
  const long yields = scaled(o, 1000, 200);
  const double secs = coreio::run(
      [&] {
        std::atomic<long> total{0};
        const auto t0 = Clock::now();
        std::vector<coreio::Task<>> ts;
        for (long i = 0; i < tasks; ++i)
          ts.push_back(coreio::create_task([&] {
            for (long k = 0; k < yields; ++k) coreio::yield_now();
            total.fetch_add(yields, std::memory_order_relaxed);
          }));
        for (auto& t : ts) t.get();
        const double s = seconds_since(t0);
        if (total.load() != tasks * yields) fail("yield count");
        return s;
      },
      cfg);
  emit(o, "ns_per_yield", secs * 1e9 / double(tasks * yields), "ns");
}

#if !defined(COREIO_BENCH_HAVE_QUEUE)
/// A single-slot channel (Queue(maxsize=1) stand-in until sync/ exists), on
/// the same Waiter protocol the sync primitives use.
template <class T>
class Slot {
public:
  void put(T v) {
    for (;;) {
      lock_.lock();
      if (!full_) {
        value_ = std::move(v);
        full_ = true;
        wake_one_locked(getters_);
        return;
      }
      wait_locked(putters_);
    }
  }
  T get() {
    for (;;) {
      lock_.lock();
      if (full_) {
        full_ = false;
        T v = std::move(value_);
        wake_one_locked(putters_);
        return v;
      }
      wait_locked(getters_);
    }
  }

private:
  void wake_one_locked(coreio::detail::WaitList& l) {
    coreio::detail::WakeRef r;
    if (auto* w = l.front()) r = coreio::detail::fire(l, w);
    lock_.unlock();
    r.wake();
  }
  void wait_locked(coreio::detail::WaitList& l) {
    coreio::detail::Waiter w;
    w.target = &coreio::detail::current_wakeable();
    l.push_back(&w);
    lock_.unlock();
    if (coreio::detail::wait_until_fired(w, lock_, l) != coreio::detail::WaitResult::fired) fail("cancelled");
  }
  coreio::detail::SpinLock lock_;
  coreio::detail::WaitList getters_, putters_;
  T value_{};
  bool full_ = false;
};
#endif

void bench_pingpong(const Options& o, const coreio::RuntimeConfig& cfg) {
  const long rounds = scaled(o, 1'000'000, 200'000);
  const double secs = coreio::run(
      [rounds] {
#if defined(COREIO_BENCH_HAVE_QUEUE)
        coreio::Queue<long> ping(1), pong(1);
#else
        Slot<long> ping, pong;
#endif
        const auto t0 = Clock::now();
        auto echo = coreio::create_task([&] {
          for (long i = 0; i < rounds; ++i) pong.put(ping.get() + 1);
        });
        long v = 0;
        for (long i = 0; i < rounds; ++i) {
          ping.put(v);
          v = pong.get();
        }
        echo.get();
        const double s = seconds_since(t0);
        if (v != rounds) fail("pingpong token " + std::to_string(v));
        return s;
      },
      cfg);
  emit(o, "ns_per_round_trip", secs * 1e9 / rounds, "ns");
}

long skynet(long num, long size, long div) {
  if (size == 1) return num;
  std::vector<coreio::Task<long>> children;
  children.reserve(div);
  const long sub = size / div;
  for (long i = 0; i < div; ++i)
    children.push_back(coreio::create_task([=] { return skynet(num + i * sub, sub, div); }));
  long sum = 0;
  for (auto& c : children) sum += c.get();
  return sum;
}

void bench_skynet(const Options& o, const coreio::RuntimeConfig& cfg) {
  const long size = scaled(o, 1'000'000, 100'000);
  const double secs = coreio::run(
      [size] {
        const auto t0 = Clock::now();
        const long sum = skynet(0, size, 10);
        const double s = seconds_since(t0);
        if (sum != size * (size - 1) / 2) fail("skynet sum " + std::to_string(sum));
        return s;
      },
      cfg);
  emit(o, "time", secs * 1e3, "ms");
  emit_memory(o);
}

void bench_timers(const Options& o, const coreio::RuntimeConfig& cfg) {
  const long n = scaled(o, 100'000, 20'000);
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  const double secs = coreio::run(
      [n] {
        std::mt19937 rng(42);
        std::uniform_int_distribution<int> ms(0, 99);
        std::atomic<long> woke{0};
        const auto t0 = Clock::now();
        std::vector<coreio::Task<>> ts;
        ts.reserve(n);
        for (long i = 0; i < n; ++i) {
          const auto d = std::chrono::milliseconds(ms(rng));
          ts.push_back(coreio::create_task([d, &woke] {
            const auto start = Clock::now();
            coreio::sleep(d);
            if (Clock::now() - start < d) fail("a sleep ended early");
            woke.fetch_add(1, std::memory_order_relaxed);
          }));
        }
        for (auto& t : ts) t.get();
        if (woke.load() != n) fail("timers woke");
        return seconds_since(t0);
      },
      cfg);
  getrusage(RUSAGE_SELF, &after);
  auto cpu = [](const rusage& r) {
    return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) + double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
  };
  emit(o, "wall", secs * 1e3, "ms");
  emit(o, "cpu", cpu(after) - cpu(before), "s");
}

void bench_inject(const Options& o, const coreio::RuntimeConfig& cfg) {
  const long n = scaled(o, 1'000'000, 200'000);
  coreio::Runtime rt(cfg);
  std::atomic<long> count{0};
  coreio::Future<> done;
  const auto t0 = Clock::now();
  std::thread producer([&] {
    for (long i = 0; i < n; ++i)
      rt.loop(static_cast<std::size_t>(i) % rt.num_loops()).call_soon_threadsafe([&count, &done, n] {
        if (count.fetch_add(1, std::memory_order_relaxed) + 1 == n) done.set_result();
      });
  });
  producer.join();
  const double submit_secs = seconds_since(t0);
  done.get();
  const double total_secs = seconds_since(t0);
  if (count.load() != n) fail("inject count");
  rt.close();
  emit(o, "ns_per_submission", submit_secs * 1e9 / n, "ns");
  emit(o, "ns_per_callback_end_to_end", total_secs * 1e9 / n, "ns");
}

void bench_to_thread(const Options& o, const coreio::RuntimeConfig& cfg) {
#if defined(COREIO_BENCH_HAVE_TO_THREAD)
  const long n = scaled(o, 100'000, 20'000);
  const double secs = coreio::run(
      [n] {
        long calls = 0;
        const auto t0 = Clock::now();
        for (long i = 0; i < n; ++i) calls += coreio::to_thread([] { return 1L; });
        if (calls != n) fail("to_thread count");
        return seconds_since(t0);
      },
      cfg);
  emit(o, "us_per_round_trip", secs * 1e6 / n, "us");
#else
  (void)cfg;
  std::fprintf(stderr, "coreio_bench: to_thread is not built into this coreio\n");
  std::exit(77); // run_card.py: "not available for this runtime", not a failure
#endif
}

#if defined(COREIO_BENCH_HAVE_NET)
// ---------------------------------------------------------------- servers
//
// echo_server / mixed_server: the servers perf/loadgen drives for the echo and
// mixed rows (same protocol as perf/peers/python/servers.py). They print
// `port=<P>` once listening and run until SIGTERM or SIGINT.

constexpr std::uint64_t fnv_offset = 0xCBF29CE484222325ull;
constexpr std::uint64_t fnv_prime = 0x100000001B3ull;
constexpr int blocking_every = 10; // every 10th request of a connection...
constexpr auto blocking_call = std::chrono::milliseconds(1); // ...blocks 1 ms in to_thread

std::uint64_t fnv1a_rounds(std::string_view data, long rounds) {
  std::uint64_t h = fnv_offset;
  for (long r = 0; r < rounds; ++r)
    for (unsigned char b : data) h = (h ^ b) * fnv_prime;
  return h;
}

/// Hash rounds over a `size`-byte message that take about `us` microseconds.
long calibrate_rounds(std::size_t size, double us) {
  std::string msg(size, 'x');
  std::vector<double> samples;
  volatile std::uint64_t sink = 0;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = Clock::now();
    sink = sink + fnv1a_rounds(msg, 256);
    samples.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / 256);
  }
  std::sort(samples.begin(), samples.end());
  return std::max(1L, std::lround(us * 1000 / samples[2]));
}

void run_server(const Options& o, const coreio::RuntimeConfig& cfg, bool mixed) {
  // Block the stop signals before any loop thread exists (they inherit the
  // mask), then wait for them synchronously on this thread.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  const std::size_t size = 64;
  const long rounds = mixed ? calibrate_rounds(size, 50.0) : 0;
  coreio::Runtime rt(cfg);
  coreio::Server server = rt.block_on([&] {
    return coreio::start_server(
        [=](coreio::StreamReader& reader, coreio::StreamWriter& writer) {
          try {
            if (!mixed) {
              for (std::string data = reader.read(4096); !data.empty(); data = reader.read(4096)) {
                writer.write(data);
                writer.drain();
              }
            } else {
              for (int served = 1;; ++served) {
                std::string request = reader.readexactly(size);
                volatile std::uint64_t digest = fnv1a_rounds(request, rounds);
                (void)digest;
                if (served % blocking_every == 0) coreio::to_thread([] { std::this_thread::sleep_for(blocking_call); });
                writer.write(request);
                writer.drain();
              }
            }
          } catch (const coreio::IncompleteReadError&) {
            // The load generator closed the connection between requests.
          } catch (const std::system_error&) {
            // Reset by the load generator at the end of the run.
          }
          writer.close();
        },
        "127.0.0.1", 0);
  });
  std::printf("port=%u\n", static_cast<unsigned>(server.sockets().at(0).port));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  rt.block_on([&] {
    server.close();
    server.close_clients();
    server.wait_closed();
  });
  rt.close();
}
#endif

bool parse(int argc, char** argv, Options& o) {
  if (argc < 2) return false;
  o.bench = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view key) -> const char* {
      return a.substr(0, key.size()) == key ? argv[i] + key.size() : nullptr;
    };
    if (const char* v = value("--loops=")) o.loops = std::strtoul(v, nullptr, 10);
    else if (const char* v = value("--stealing=")) o.stealing = std::string_view(v) != "off";
    else if (const char* v = value("--n=")) o.n = std::strtol(v, nullptr, 10);
    else if (a == "--quick") o.quick = true;
    else if (value("--port=")) continue; // servers always take an ephemeral port and print it
    else if (a == "--json") o.json = true;
    else return false;
  }
  if (o.loops == 0) o.loops = std::max(1u, std::thread::hardware_concurrency());
  return true;
}

} // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: coreio_bench <spawn|yield|pingpong|skynet|timers|inject|to_thread|echo_server|mixed_server> "
                 "--loops=N --stealing=on|off [--quick] [--json] [--n=N]\n");
    return 2;
  }
  const coreio::RuntimeConfig cfg{.loops = o.loops, .stealing = o.stealing};
  const std::vector<std::pair<std::string_view, std::function<void(const Options&, const coreio::RuntimeConfig&)>>>
      rows = {{"spawn", bench_spawn},   {"yield", bench_yield},   {"pingpong", bench_pingpong},
              {"skynet", bench_skynet}, {"timers", bench_timers}, {"inject", bench_inject},
              {"to_thread", bench_to_thread}};
  for (const auto& [name, fn] : rows)
    if (name == o.bench) {
      fn(o, cfg);
      return 0;
    }
  if (o.bench == "echo_server" || o.bench == "mixed_server") {
#if defined(COREIO_BENCH_HAVE_NET) && defined(COREIO_BENCH_HAVE_TO_THREAD)
    run_server(o, cfg, o.bench == "mixed_server");
    return 0;
#else
    std::fprintf(stderr, "coreio_bench: net/ or to_thread is not built into this coreio\n");
    return 77;
#endif
  }
  std::fprintf(stderr, "coreio_bench: unknown benchmark '%s'\n", o.bench.c_str());
  return 2;
}
