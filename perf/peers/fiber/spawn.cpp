// spawn: from inside a running fiber, spawn N children (child i returns i),
// then await their futures in spawn order, summing; the sum must be N(N-1)/2.
//
// Children are launched with launch::post, the equivalent of asyncio's
// create_task: a child first runs when the spawner suspends, so all N are
// alive at once, each holding its stack.
#include <cstdint>
#include <vector>

#include "fiber_bench.hpp"

namespace {

using namespace perf;
using namespace perf::fiber;

std::int64_t spawn_and_sum(const BenchContext& context, Share share) {
    auto stacks = make_stack_allocator(context.pool);
    const std::int64_t begin = share.begin(context.n);
    const std::int64_t end = share.end(context.n);
    std::vector<boost::fibers::future<std::int64_t>> children;
    children.reserve(static_cast<std::size_t>(end - begin));
    for (std::int64_t i = begin; i < end; ++i) {
        children.push_back(boost::fibers::async(boost::fibers::launch::post, std::allocator_arg, stacks,
                                                [i] { return i; }));
    }
    std::int64_t sum = 0;
    for (auto& child : children) {
        sum += child.get();
    }
    return sum;
}

}  // namespace

int main(int argc, char** argv) {
    const BenchSpec spec{.name = "spawn", .card_n = 1'000'000, .quick_n = 200'000, .counts = "tasks"};
    return run_fiber_bench(argc, argv, spec, [](const BenchContext& context) {
        const auto run = run_on_pool<std::int64_t>(context.pool, [&](Share share) {
            return spawn_and_sum(context, share);
        });
        std::int64_t sum = 0;
        for (const std::int64_t part : run.results) {
            sum += part;
        }
        expect_equal(sum, context.n * (context.n - 1) / 2, "spawn sum");
        const double ns = std::chrono::duration<double, std::nano>(run.elapsed).count();
        return std::vector<Figure>{{"ns_per_task", ns / static_cast<double>(context.n), "ns"}};
    });
}
