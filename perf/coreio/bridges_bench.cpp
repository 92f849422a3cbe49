// coreio_bridges_bench: crossing into and out of the loops.
//
//   coreio_bridges_bench <inject|to_thread|process_pool> --loops=N --stealing=on|off [--n=N] [--json]
//
//   inject        a plain OS thread submits N (1,000,000) callbacks with
//                 call_soon_threadsafe, round-robin over the loops; each
//                 increments an atomic. ns per submission (producer side) and
//                 ns per callback end to end (until the last one ran).
//   to_thread     one task, N (100,000) sequential to_thread(noop) round trips.
//   process_pool  a no-op registered function through ProcessPoolExecutor:
//                 sequential round trips from one task (latency), then N
//                 calls in flight over max_workers = hardware threads.
//
// Each run checks its own result (exit 1 on a mismatch) and prints
// `<bench> <runtime> loops=<n> <metric>=<value> <unit>` lines, runtime being
// coreio-1, coreio-sn (shared-nothing) or coreio-ws (work stealing).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <coreio/coreio.hpp>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string bench;
  std::size_t loops = 2;
  bool stealing = true;
  bool json = false;
  long n = 0;
};

std::string runtime_label(const Options& o) {
  if (o.loops == 1) return "coreio-1";
  return o.stealing ? "coreio-ws" : "coreio-sn";
}

void emit(const Options& o, const char* bench, const char* metric, double value, const char* unit) {
  if (o.json)
    std::printf("{\"bench\":\"%s\",\"runtime\":\"%s\",\"loops\":%zu,\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"}\n",
                bench, runtime_label(o).c_str(), o.loops, metric, value, unit);
  else
    std::printf("%s %s loops=%zu %s=%.6g %s\n", bench, runtime_label(o).c_str(), o.loops, metric, value, unit);
  std::fflush(stdout);
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "coreio_bridges_bench: result check failed: %s\n", what);
  std::exit(1);
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

coreio::RuntimeConfig config(const Options& o) { return {.loops = o.loops, .stealing = o.stealing}; }

void noop_in_worker() {}
COREIO_REGISTER_PROCESS_FUNCTION(noop_in_worker);

void bench_inject(const Options& o) {
  const long n = o.n ? o.n : 1'000'000;
  coreio::Runtime rt(config(o));
  std::atomic<long> count{0};
  coreio::Future<> done;
  double submit_secs = 0;
  const auto t0 = Clock::now();
  std::thread producer([&] {
    const std::size_t loops = rt.num_loops();
    for (long i = 0; i < n; ++i)
      rt.loop(static_cast<std::size_t>(i) % loops).call_soon_threadsafe([&count, &done, n] {
        if (count.fetch_add(1, std::memory_order_relaxed) + 1 == n) done.set_result();
      });
    submit_secs = seconds_since(t0);
  });
  producer.join();
  done.get();
  const double total_secs = seconds_since(t0);
  if (count.load() != n) fail("inject count");
  std::uint64_t parks = 0;
  for (const auto& l : rt.metrics().loops) parks += l.parks;
  rt.close();
  // Each park the producer catches costs it an unpark (an eventfd write).
  emit(o, "inject", "loop_parks_per_1000_submissions", double(parks) * 1000.0 / double(n), "parks");
  emit(o, "inject", "ns_per_submission", submit_secs * 1e9 / double(n), "ns");
  emit(o, "inject", "ns_per_callback_end_to_end", total_secs * 1e9 / double(n), "ns");
}

void bench_to_thread(const Options& o) {
  const long n = o.n ? o.n : 100'000;
  coreio::Runtime rt(config(o));
  const double secs = rt.block_on([n] {
    long calls = 0;
    const auto t0 = Clock::now();
    for (long i = 0; i < n; ++i) calls += coreio::to_thread([] { return 1L; });
    if (calls != n) fail("to_thread count");
    return seconds_since(t0);
  });
  std::uint64_t parks = 0;
  for (const auto& l : rt.metrics().loops) parks += l.parks;
  rt.close();
  emit(o, "to_thread", "us_per_round_trip", secs * 1e6 / double(n), "us");
  emit(o, "to_thread", "loop_parks_per_round_trip", double(parks) / double(n), "parks");
}

void bench_process_pool(const Options& o) {
  const long n = o.n ? o.n : 20'000;
  coreio::run(
      [&o, n] {
        coreio::ProcessPoolExecutor pool;
        auto& loop = coreio::get_running_loop();
        loop.run_in_executor(&pool, noop_in_worker).get(); // start a worker
        const long seq = n / 4;
        auto t0 = Clock::now();
        for (long i = 0; i < seq; ++i) loop.run_in_executor(&pool, noop_in_worker).get();
        const double seq_secs = seconds_since(t0);
        std::vector<coreio::Future<void>> fs;
        fs.reserve(static_cast<std::size_t>(n));
        t0 = Clock::now();
        for (long i = 0; i < n; ++i) fs.push_back(loop.run_in_executor(&pool, noop_in_worker));
        for (auto& f : fs) f.get();
        const double par_secs = seconds_since(t0);
        emit(o, "process_pool", "sequential_round_trips_per_s", double(seq) / seq_secs, "calls/s");
        emit(o, "process_pool", "us_per_sequential_round_trip", seq_secs * 1e6 / double(seq), "us");
        emit(o, "process_pool", "pipelined_calls_per_s", double(n) / par_secs, "calls/s");
      },
      config(o));
}

int usage() {
  std::fprintf(stderr,
               "usage: coreio_bridges_bench <inject|to_thread|process_pool> --loops=N --stealing=on|off [--n=N] [--json]\n");
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  if (coreio::process_worker_main(argc, argv)) return 0;
  if (argc < 2) return usage();
  Options o;
  o.bench = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--loops=")) o.loops = std::strtoul(argv[i] + 8, nullptr, 10);
    else if (a == "--stealing=on") o.stealing = true;
    else if (a == "--stealing=off") o.stealing = false;
    else if (a.starts_with("--n=")) o.n = std::strtol(argv[i] + 4, nullptr, 10);
    else if (a == "--json") o.json = true;
    else return usage();
  }
  if (o.loops == 0) return usage();
  if (o.bench == "inject") bench_inject(o);
  else if (o.bench == "to_thread") bench_to_thread(o);
  else if (o.bench == "process_pool") bench_process_pool(o);
  else return usage();
  return 0;
}
