// skynet: every node spawns 10 children down to 1,000,000 leaves (depth 6);
// leaf k returns k, parents sum their children; the root's sum must be
// n(n-1)/2 (499999500000 on the card). --n sets the leaf count, a power of 10.
//
// Under round_robin with N threads the root's ten subtrees are dealt out to
// the threads, which compute them independently.
#include <cstdint>
#include <vector>

#include "fiber_bench.hpp"

namespace {

using namespace perf;
using namespace perf::fiber;

constexpr std::int64_t fanout = 10;

bool is_power_of_fanout(std::int64_t n) {
    while (n > 1 && n % fanout == 0) {
        n /= fanout;
    }
    return n == 1;
}

std::int64_t node(boost::fibers::fixedsize_stack stacks, std::int64_t first_leaf, std::int64_t leaves) {
    if (leaves == 1) {
        return first_leaf;
    }
    const std::int64_t share = leaves / fanout;
    std::vector<boost::fibers::future<std::int64_t>> children;
    children.reserve(fanout);
    for (std::int64_t i = 0; i < fanout; ++i) {
        children.push_back(boost::fibers::async(boost::fibers::launch::post, std::allocator_arg, stacks, node,
                                                stacks, first_leaf + i * share, share));
    }
    std::int64_t sum = 0;
    for (auto& child : children) {
        sum += child.get();
    }
    return sum;
}

std::int64_t subtrees(const BenchContext& context, Share share) {
    const auto stacks = make_stack_allocator(context.pool);
    if (share.count == 1) {
        return node(stacks, 0, context.n);
    }
    // Shared-nothing: this thread computes root children index, index + count, ...
    std::int64_t sum = 0;
    const std::int64_t subtree = context.n / fanout;
    for (std::int64_t i = share.index; i < fanout && context.n > 1; i += share.count) {
        sum += node(stacks, i * subtree, subtree);
    }
    return sum;
}

}  // namespace

int main(int argc, char** argv) {
    const BenchSpec spec{.name = "skynet",
                         .card_n = 1'000'000,
                         .quick_n = 100'000,
                         .counts = "leaves",
                         .valid_n = is_power_of_fanout};
    return run_fiber_bench(argc, argv, spec, [](const BenchContext& context) {
        const auto run = run_on_pool<std::int64_t>(context.pool, [&](Share share) { return subtrees(context, share); });
        std::int64_t sum = 0;
        for (const std::int64_t part : run.results) {
            sum += part;
        }
        expect_equal(sum, context.n * (context.n - 1) / 2, "skynet sum");
        const double ms = std::chrono::duration<double, std::milli>(run.elapsed).count();
        return std::vector<Figure>{{"wall_ms", ms, "ms"}};
    });
}
