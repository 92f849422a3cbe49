// Boost.Fiber scheduler set-up shared by the fiber peers of the card.
//
// Two shapes, chosen with --algo:
//
// * work_stealing (runtime `boost.fiber-ws`): `threads` threads each install
//   algo::work_stealing with the same thread count. Its constructor waits on a
//   process-wide barrier until all `threads` schedulers exist, so every thread
//   must install it before any of them can run a fiber. The benchmark body runs
//   once, on the main thread's main fiber; the helper threads only steal. They
//   park on a fiber condition variable (which lets their dispatcher keep
//   stealing) until the body has returned. Idle threads spin instead of
//   sleeping (suspend = false): a sleeping work_stealing thread is only woken
//   for fibers made ready by another thread, never for work it could steal
//   (boostorg/fiber#327), so suspending would turn stealing off. The spinning
//   shows up in CPU time.
//
// * round_robin (runtime `boost.fiber-rr`): each thread installs its own
//   algo::round_robin, which never moves a fiber between threads. With one
//   thread this is the single-loop design. With N threads it is the
//   shared-nothing design: the body runs once per thread with that thread's
//   Share of the work, and the caller combines the N results.
//
// Either way the pool times the bodies: the clock starts when every thread is
// ready and stops when the last body has returned.
//
// Fiber stacks come from fixedsize_stack, i.e. malloc, so only the pages a
// fiber touches cost memory (a few KiB of stack per fiber here). The size
// is the smallest that is safe for each algorithm (--stack-kib changes it):
// 8 KiB for round_robin, as in Boost.Fiber's own skynet benchmark; neighbours
// then share pages, about 1.85 faults per fiber against 2.35 with 16 KiB.
// 16 KiB for work_stealing: the first time a thread's queue runs dry, its
// pick_next() constructs a std::random_device (5000 bytes) to seed the
// victim choice on the stack of whichever fiber is suspending, which
// overflows 8 KiB and corrupts the heap.
// pooled_fixedsize_stack was measured too and is slower here: boost::pool
// threads its free list through every block of a new chunk, so each stack
// costs one more page fault.
#pragma once

#include <boost/fiber/algo/round_robin.hpp>
#include <boost/fiber/algo/work_stealing.hpp>
#include <boost/fiber/all.hpp>

#include <sys/resource.h>

#include <barrier>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "options.hpp"

namespace perf::fiber {

enum class Algo { round_robin, work_stealing };

inline constexpr std::int64_t round_robin_stack_kib = 8;
// work_stealing's pick_next() needs about 5 KiB of the suspending fiber's stack.
inline constexpr std::int64_t work_stealing_stack_kib = 16;

struct PoolConfig {
    Algo algo = Algo::round_robin;
    unsigned threads = 1;
    std::size_t stack_bytes = round_robin_stack_kib * 1024;
};

// The slice of a benchmark's work one thread owns: the whole work under
// work_stealing, 1/count of it under round_robin with `count` threads.
struct Share {
    unsigned index;
    unsigned count;

    // The half-open range [begin, end) of `total` items that this share owns.
    [[nodiscard]] std::int64_t begin(std::int64_t total) const { return total * index / count; }
    [[nodiscard]] std::int64_t end(std::int64_t total) const { return total * (index + 1) / count; }
};

template <class Result>
struct PoolRun {
    std::vector<Result> results;  // one per Share, in index order
    std::chrono::nanoseconds elapsed;
    double cpu_seconds;  // user + system time of the whole process
};

inline std::string runtime_name(Algo algo) {
    return algo == Algo::work_stealing ? "boost.fiber-ws" : "boost.fiber-rr";
}

inline PoolConfig parse_pool_config(const Options& options) {
    PoolConfig config;
    const std::string algo = options.text("algo", "round_robin");
    if (algo == "round_robin") {
        config.algo = Algo::round_robin;
    } else if (algo == "work_stealing") {
        config.algo = Algo::work_stealing;
    } else {
        throw UsageError("--algo=" + algo + ": expected round_robin or work_stealing");
    }
    const auto hardware = std::max(1u, std::thread::hardware_concurrency());
    const auto default_threads = config.algo == Algo::work_stealing ? hardware : 1u;
    config.threads = static_cast<unsigned>(options.integer("threads", 1, 1024).value_or(default_threads));
    const bool stealing = config.algo == Algo::work_stealing;
    const std::int64_t min_stack_kib = stealing ? work_stealing_stack_kib : 4;
    const std::int64_t default_stack_kib = stealing ? work_stealing_stack_kib : round_robin_stack_kib;
    const std::int64_t stack_kib = options.integer("stack-kib", min_stack_kib, 1 << 20).value_or(default_stack_kib);
    config.stack_bytes = static_cast<std::size_t>(stack_kib) * 1024;
    return config;
}

inline std::vector<OptionSpec> pool_option_specs() {
    return {
        {"algo", true, "round_robin (default) or work_stealing"},
        {"threads", true, "scheduler threads (default: 1 for round_robin, all CPUs for work_stealing)"},
        {"stack-kib", true, "fiber stack size in KiB (default: 8 for round_robin, 16 for work_stealing)"},
    };
}

// A stack allocator sized per the config; it is stateless, so each thread and
// each recursive spawner may hold its own copy.
inline boost::fibers::fixedsize_stack make_stack_allocator(const PoolConfig& config) {
    return boost::fibers::fixedsize_stack(config.stack_bytes);
}

namespace detail {

inline double process_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Runs body(share) into `result`; returns what it threw, so a failing share
// still lets the pool's threads finish and be joined.
template <class Result>
std::exception_ptr call_capturing(const std::function<Result(Share)>& body, Share share, Result& result) {
    try {
        result = body(share);
        return nullptr;
    } catch (...) {
        return std::current_exception();
    }
}

template <class Result>
PoolRun<Result> run_work_stealing(const PoolConfig& config, const std::function<Result(Share)>& body) {
    boost::fibers::mutex mutex;
    boost::fibers::condition_variable body_done;
    bool finished = false;

    std::vector<std::thread> helpers;
    for (unsigned i = 1; i < config.threads; ++i) {
        helpers.emplace_back([&] {
            boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(config.threads);
            std::unique_lock lock(mutex);
            body_done.wait(lock, [&] { return finished; });
        });
    }
    // Returns once all `threads` schedulers exist (work_stealing's barrier).
    boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(config.threads);

    const double cpu_start = process_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    std::vector<Result> results(1);
    const std::exception_ptr error = call_capturing(body, Share{0, 1}, results[0]);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const double cpu_seconds = process_cpu_seconds() - cpu_start;

    {
        std::unique_lock lock(mutex);
        finished = true;
    }
    body_done.notify_all();
    for (std::thread& helper : helpers) {
        helper.join();
    }
    if (error) {
        std::rethrow_exception(error);
    }
    return {std::move(results), elapsed, cpu_seconds};
}

template <class Result>
PoolRun<Result> run_round_robin(const PoolConfig& config, const std::function<Result(Share)>& body) {
    std::vector<Result> results(config.threads);
    std::vector<std::exception_ptr> errors(config.threads);
    std::barrier ready(static_cast<std::ptrdiff_t>(config.threads));
    std::latch done(static_cast<std::ptrdiff_t>(config.threads));

    const auto run_share = [&](unsigned index) {
        boost::fibers::use_scheduling_algorithm<boost::fibers::algo::round_robin>();
        ready.arrive_and_wait();
        errors[index] = call_capturing(body, Share{index, config.threads}, results[index]);
        done.count_down();
    };

    std::vector<std::thread> helpers;
    for (unsigned i = 1; i < config.threads; ++i) {
        helpers.emplace_back(run_share, i);
    }
    boost::fibers::use_scheduling_algorithm<boost::fibers::algo::round_robin>();
    ready.arrive_and_wait();
    const double cpu_start = process_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    errors[0] = call_capturing(body, Share{0, config.threads}, results[0]);
    done.count_down();
    done.wait();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const double cpu_seconds = process_cpu_seconds() - cpu_start;
    for (std::thread& helper : helpers) {
        helper.join();
    }
    for (const std::exception_ptr& error : errors) {
        if (error) {
            std::rethrow_exception(error);
        }
    }
    return {std::move(results), elapsed, cpu_seconds};
}

}  // namespace detail

// Runs `body` on the pool described by `config` (see the file comment) from
// the calling thread, which becomes the pool's first thread. Call once per
// process: work_stealing keeps process-wide state.
template <class Result>
PoolRun<Result> run_on_pool(const PoolConfig& config, const std::function<Result(Share)>& body) {
    if (config.algo == Algo::work_stealing) {
        return detail::run_work_stealing<Result>(config, body);
    }
    return detail::run_round_robin<Result>(config, body);
}

}  // namespace perf::fiber
