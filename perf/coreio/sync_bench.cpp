// coreio_sync_bench: figures for sync/ (issue 4).
//
//   coreio_sync_bench [lock|pingpong|all] [--n=N] [--json] [--loops=N --stealing=on|off]
//
//   lock      uncontended costs, one task on one loop, N (10,000,000) pairs:
//             Lock lock()+unlock(), Semaphore acquire()+release(), and
//             Queue<long> put_nowait()+get_nowait(); std::mutex for scale.
//             Target: Lock <= 20 ns per acquire/release pair.
//   pingpong  the card's pingpong row (../../../shared/BENCHMARKS.md): two
//             tasks pass a token through two Queue(maxsize=1), R (1,000,000)
//             round trips, in the three shapes: loops=1, loops=2 with stealing
//             off (shared-nothing) and loops=2 with stealing on, or only the
//             shape given by --loops and --stealing. Target: <= 200 ns per
//             round trip with two loops. The runtime places the echo task (on
//             the spawning loop with stealing; round-robin without, which puts
//             it on loop 0 beside the main task here), so a second row,
//             pingpong_cross_loop, pins the echo task to loop 1 with stealing
//             off: every hand-off then crosses threads (inbox push + unpark).
//             Parks per round trip and tasks stolen are printed beside each.
//
// Each run verifies its own result (exit 1 on a mismatch) and prints
// `<bench> <runtime> loops=<n> <metric>=<value> <unit>` lines (JSON objects
// with --json); runtime is coreio-1, coreio-sn (shared-nothing) or coreio-ws
// (work stealing).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>

#include <coreio/coreio.hpp>
#include <coreio/sync/sync.hpp>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string bench = "all";
  bool json = false;
  long n = 0;             // 0: the default of each bench
  std::size_t loops = 0;  // 0: every shape
  bool stealing = true;
};

struct Shape {
  const char* runtime;
  std::size_t loops;
  bool stealing;
};

constexpr Shape shapes[] = {{"coreio-1", 1, false}, {"coreio-sn", 2, false}, {"coreio-ws", 2, true}};

void emit(const Options& o, const char* bench, const char* runtime, std::size_t loops, const char* metric,
          double value, const char* unit) {
  if (o.json)
    std::printf("{\"bench\":\"%s\",\"runtime\":\"%s\",\"loops\":%zu,\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"}\n",
                bench, runtime, loops, metric, value, unit);
  else
    std::printf("%s %s loops=%zu %s=%.6g %s\n", bench, runtime, loops, metric, value, unit);
  std::fflush(stdout);
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "coreio_sync_bench: result check failed: %s\n", what.c_str());
  std::exit(1);
}

double ns_per(Clock::time_point t0, long n) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n);
}

/// Keeps the compiler from proving a loop body away.
template <class T>
void keep(T& v) {
  asm volatile("" : : "r,m"(v) : "memory");
}

void bench_lock(const Options& o) {
  const long n = o.n ? o.n : 10'000'000;
  struct Result {
    double lock, semaphore, queue, mutex;
  };
  const Result r = coreio::run(
      [n] {
        Result out{};
        coreio::Lock lock;
        lock.lock(); // warm up
        lock.unlock();
        auto t0 = Clock::now();
        for (long i = 0; i < n; ++i) {
          lock.lock();
          keep(lock);
          lock.unlock();
        }
        out.lock = ns_per(t0, n);
        if (lock.locked()) fail("lock left locked");

        coreio::Semaphore sem(1);
        t0 = Clock::now();
        for (long i = 0; i < n; ++i) {
          sem.acquire();
          keep(sem);
          sem.release();
        }
        out.semaphore = ns_per(t0, n);
        if (sem.locked()) fail("semaphore left locked");

        coreio::Queue<long> q(1);
        long sum = 0;
        const long qn = n / 10;
        t0 = Clock::now();
        for (long i = 0; i < qn; ++i) {
          q.put_nowait(i);
          sum += q.get_nowait();
        }
        out.queue = ns_per(t0, qn);
        if (sum != qn * (qn - 1) / 2) fail("queue sum");

        std::mutex mu;
        t0 = Clock::now();
        for (long i = 0; i < n; ++i) {
          mu.lock();
          keep(mu);
          mu.unlock();
        }
        out.mutex = ns_per(t0, n);
        return out;
      },
      coreio::RuntimeConfig{.loops = 1});
  emit(o, "lock_uncontended", "coreio-1", 1, "ns_per_acquire_release", r.lock, "ns");
  emit(o, "semaphore_uncontended", "coreio-1", 1, "ns_per_acquire_release", r.semaphore, "ns");
  emit(o, "queue_nowait", "coreio-1", 1, "ns_per_put_get", r.queue, "ns");
  emit(o, "std_mutex_uncontended", "coreio-1", 1, "ns_per_lock_unlock", r.mutex, "ns");
}

void bench_pingpong(const Options& o, const Shape& shape, bool cross_loop = false) {
  const long rounds = o.n ? o.n : 1'000'000;
  coreio::Runtime rt(coreio::RuntimeConfig{.loops = shape.loops, .stealing = shape.stealing});
  coreio::Loop* echo_loop = cross_loop ? &rt.loop(1) : nullptr;
  const double ns = rt.block_on(
      [rounds, echo_loop] {
        coreio::Queue<long> ping(1);
        coreio::Queue<long> pong(1);
        const auto t0 = Clock::now();
        auto body = [&] {
          for (long i = 0; i < rounds; ++i) pong.put(ping.get());
        };
        auto echo = echo_loop ? echo_loop->create_task(body) : coreio::create_task(body);
        for (long i = 0; i < rounds; ++i) {
          ping.put(i);
          if (pong.get() != i) fail("pingpong returned the wrong token");
        }
        echo.get();
        return ns_per(t0, rounds);
      });
  // Where the time goes across loops: a park is a loop blocking in its
  // io_context (and being woken through it); a steal moves tasks between loops.
  const coreio::Metrics m = rt.metrics();
  rt.close();
  std::uint64_t parks = 0;
  std::uint64_t stolen = 0;
  for (const auto& l : m.loops) {
    parks += l.parks;
    stolen += l.tasks_stolen;
  }
  const char* bench = cross_loop ? "pingpong_cross_loop" : "pingpong";
  emit(o, bench, shape.runtime, shape.loops, "ns_per_round_trip", ns, "ns");
  emit(o, bench, shape.runtime, shape.loops, "parks_per_round_trip",
       static_cast<double>(parks) / static_cast<double>(rounds), "parks");
  emit(o, bench, shape.runtime, shape.loops, "tasks_stolen", static_cast<double>(stolen), "tasks");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--json") o.json = true;
    else if (a.starts_with("--n=")) o.n = std::strtol(argv[i] + 4, nullptr, 10);
    else if (a.starts_with("--loops=")) o.loops = std::strtoul(argv[i] + 8, nullptr, 10);
    else if (a == "--stealing=on") o.stealing = true;
    else if (a == "--stealing=off") o.stealing = false;
    else if (a == "lock" || a == "pingpong" || a == "all") o.bench = a;
    else {
      std::fprintf(stderr, "usage: coreio_sync_bench [lock|pingpong|all] [--n=N] [--json] "
                           "[--loops=N --stealing=on|off]\n");
      std::exit(2);
    }
  }
  return o;
}

} // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.bench == "lock" || o.bench == "all") bench_lock(o);
  if (o.bench == "pingpong" || o.bench == "all") {
    if (o.loops == 0) {
      for (const Shape& s : shapes) bench_pingpong(o, s);
      bench_pingpong(o, shapes[1], /*cross_loop=*/true);
    } else {
      const char* runtime = o.loops == 1 ? "coreio-1" : o.stealing ? "coreio-ws" : "coreio-sn";
      bench_pingpong(o, Shape{runtime, o.loops, o.loops > 1 && o.stealing});
    }
  }
  return 0;
}
