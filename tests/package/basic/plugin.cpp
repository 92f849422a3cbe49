// A shared library that links coreio (static or shared) and runs a runtime of
// its own: a producer and a consumer task exchange `n` numbers through a Queue.
#include <coreio/coreio.hpp>
#include <coreio/sync/queue.hpp>

extern "C" long plugin_queue_sum(int n) {
  return coreio::run(
      [n] {
        coreio::Queue<int> q(4);
        auto producer = coreio::create_task([&q, n] {
          for (int i = 1; i <= n; ++i) q.put(i);
        });
        long sum = 0;
        for (int i = 0; i < n; ++i) sum += q.get();
        producer.get();
        return sum;
      },
      {.loops = 2});
}
