// pingpong: two fibers pass a token through two channels of capacity one,
// R round trips (1,000,000 on the card); each round trip must return the
// token it sent.
//
// buffered_channel keeps one slot free to tell full from empty, so a
// buffered_channel(2) holds exactly one item, like asyncio.Queue(maxsize=1).
// Under round_robin with N threads each thread runs its own pair with R/N
// round trips.
#include <cstdint>
#include <vector>

#include "fiber_bench.hpp"

namespace {

using namespace perf;
using namespace perf::fiber;

using Channel = boost::fibers::buffered_channel<std::int64_t>;
constexpr std::size_t one_item_capacity = 2;

void expect_ok(boost::fibers::channel_op_status status, const char* what) {
    if (status != boost::fibers::channel_op_status::success) {
        throw WrongResult(std::string("pingpong: ") + what + " failed");
    }
}

std::int64_t play(const BenchContext& context, Share share) {
    const std::int64_t round_trips = share.end(context.n) - share.begin(context.n);
    Channel to_pong(one_item_capacity);
    Channel to_ping(one_item_capacity);
    boost::fibers::fiber pong(boost::fibers::launch::post, std::allocator_arg, make_stack_allocator(context.pool),
                              [&] {
                                  std::int64_t token = 0;
                                  for (std::int64_t i = 0; i < round_trips; ++i) {
                                      expect_ok(to_pong.pop(token), "pong pop");
                                      expect_ok(to_ping.push(token), "pong push");
                                  }
                              });
    std::int64_t completed = 0;
    for (std::int64_t sent = 0; sent < round_trips; ++sent) {
        std::int64_t token = -1;
        expect_ok(to_pong.push(sent), "ping push");
        expect_ok(to_ping.pop(token), "ping pop");
        expect_equal(token, sent, "pingpong token");
        ++completed;
    }
    pong.join();
    return completed;
}

}  // namespace

int main(int argc, char** argv) {
    const BenchSpec spec{.name = "pingpong", .card_n = 1'000'000, .quick_n = 200'000, .counts = "round_trips"};
    return run_fiber_bench(argc, argv, spec, [](const BenchContext& context) {
        const auto run = run_on_pool<std::int64_t>(context.pool, [&](Share share) { return play(context, share); });
        std::int64_t completed = 0;
        for (const std::int64_t part : run.results) {
            completed += part;
        }
        expect_equal(completed, context.n, "pingpong round trips");
        const double ns = std::chrono::duration<double, std::nano>(run.elapsed).count();
        return std::vector<Figure>{{"ns_per_round_trip", ns / static_cast<double>(context.n), "ns"}};
    });
}
