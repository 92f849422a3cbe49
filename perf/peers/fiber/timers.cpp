// timers: N tasks (100,000 on the card); task i sleeps d_i ms with d_i
// uniform in [0, 100) from a fixed seed, then all are awaited. Reports the
// wall time (ideal: 100 ms) and the CPU time the process spent meanwhile.
// No task may wake before its deadline.
//
// The d_i come from SplitMix64 seeded with 0x5EED, the same sequence as the
// Python peer. Under round_robin with N threads, task i runs on thread i % N.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "fiber_bench.hpp"

namespace {

using namespace perf;
using namespace perf::fiber;

constexpr std::uint64_t timer_seed = 0x5EED;
constexpr std::uint64_t timer_span_ms = 100;

std::uint64_t splitmix64(std::uint64_t& state) {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

std::vector<int> timer_delays_ms(std::int64_t n) {
    std::vector<int> delays(static_cast<std::size_t>(n));
    std::uint64_t state = timer_seed;
    for (int& delay : delays) {
        delay = static_cast<int>(splitmix64(state) % timer_span_ms);
    }
    return delays;
}

// Returns how many of this share's sleepers woke before their deadline.
std::int64_t sleep_all(const BenchContext& context, const std::vector<int>& delays, Share share) {
    auto stacks = make_stack_allocator(context.pool);
    // Sleepers may migrate under work_stealing, hence an atomic counter.
    std::atomic<std::int64_t> early{0};
    std::vector<boost::fibers::fiber> sleepers;
    sleepers.reserve(delays.size() / share.count + 1);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = share.index; i < delays.size(); i += share.count) {
        const std::chrono::milliseconds delay(delays[i]);
        sleepers.emplace_back(boost::fibers::launch::post, std::allocator_arg, stacks, [delay, start, &early] {
            boost::this_fiber::sleep_for(delay);
            if (std::chrono::steady_clock::now() - start < delay) {
                // Relaxed: a plain count; the joins below order it before the load.
                early.fetch_add(1, std::memory_order_relaxed);
            }
        });
    }
    for (auto& sleeper : sleepers) {
        sleeper.join();
    }
    // Relaxed: every writer was joined above, which synchronizes with it.
    return early.load(std::memory_order_relaxed);
}

}  // namespace

int main(int argc, char** argv) {
    const BenchSpec spec{.name = "timers", .card_n = 100'000, .quick_n = 20'000, .counts = "tasks"};
    return run_fiber_bench(argc, argv, spec, [](const BenchContext& context) {
        const std::vector<int> delays = timer_delays_ms(context.n);
        const auto run = run_on_pool<std::int64_t>(context.pool, [&](Share share) {
            return sleep_all(context, delays, share);
        });
        std::int64_t early = 0;
        for (const std::int64_t part : run.results) {
            early += part;
        }
        expect_equal(early, 0, "timers woken before their deadline");
        const double wall_ms = std::chrono::duration<double, std::milli>(run.elapsed).count();
        return std::vector<Figure>{{"wall_ms", wall_ms, "ms"}, {"cpu_s", run.cpu_seconds, "s"}};
    });
}
