// yield: 1,000 tasks each yield to the scheduler n times (1,000 on the card);
// await them all. --n sets how often each task yields.
#include <cstdint>
#include <vector>

#include "fiber_bench.hpp"

namespace {

using namespace perf;
using namespace perf::fiber;

constexpr std::int64_t yield_tasks = 1'000;

std::int64_t run_yielders(const BenchContext& context, Share share) {
    auto stacks = make_stack_allocator(context.pool);
    const std::int64_t yields_per_task = context.n;
    const std::int64_t tasks = share.end(yield_tasks) - share.begin(yield_tasks);
    std::vector<std::int64_t> yielded(static_cast<std::size_t>(tasks), 0);
    std::vector<boost::fibers::fiber> yielders;
    yielders.reserve(yielded.size());
    for (std::int64_t& count : yielded) {
        yielders.emplace_back(boost::fibers::launch::post, std::allocator_arg, stacks, [&count, yields_per_task] {
            for (std::int64_t i = 0; i < yields_per_task; ++i) {
                boost::this_fiber::yield();
                ++count;
            }
        });
    }
    std::int64_t total = 0;
    for (std::size_t i = 0; i < yielders.size(); ++i) {
        yielders[i].join();
        total += yielded[i];
    }
    return total;
}

}  // namespace

int main(int argc, char** argv) {
    const BenchSpec spec{.name = "yield", .card_n = 1'000, .quick_n = 200, .counts = "yields_per_task"};
    return run_fiber_bench(argc, argv, spec, [](const BenchContext& context) {
        const auto run = run_on_pool<std::int64_t>(context.pool, [&](Share share) {
            return run_yielders(context, share);
        });
        std::int64_t total = 0;
        for (const std::int64_t part : run.results) {
            total += part;
        }
        const std::int64_t expected = yield_tasks * context.n;
        expect_equal(total, expected, "yield count");
        const double ns = std::chrono::duration<double, std::nano>(run.elapsed).count();
        return std::vector<Figure>{{"ns_per_yield", ns / static_cast<double>(expected), "ns"}};
    });
}
