// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §5.2.1 Queue
//
//     async def consumer(name, queue):
//         print(f"Consumer {name} starting")
//         while True:
//             item = await queue.get()
//             print(f"Consumer {name} has item {item}")
//             await asyncio.sleep(0.01 * item)
//             print(f"Consumer {name} mark item {item} as done")
//             queue.task_done()  # 每调一次`task_done`,未完成 数减1
//             if queue.empty():
//                 print(f"Consumer {name} ending")
//                 break
//
//     async def producer(queue):
//         print("Producer starting")
//         for i in range(5):
//             await asyncio.sleep(0.02)
//             await queue.put(i)  # 每调一次put,'未完成 数加1
//             print(f"Producer put item {i} to the queue")
//         print("Producer waiting for queued items to be done.")
//         await queue.join()
//         print("Producer ending")
//
//     async def main(loop):
//         queue = asyncio.Queue()
//         consumers = [consumer(name, queue) for name in "abc"]
//         producers = [producer(queue)]
//         await asyncio.wait(consumers + producers)
//
// Under CPython the seed ends: on one loop every step is ordered. Items
// arrive every 0.02 s; consumers a and b each take one, find the queue
// empty and leave ("Consumer a ending" after item 0, b after item 1). Item 2
// takes c 0.02 s, done exactly when item 3 is due; the producer's timer was
// set first (it went back to sleep before c woke up), so item 3 is queued
// before c checks queue.empty(), and c goes on to serve items 3 and 4, then
// leaves, and the producer's join() returns.
//
// With several loops that order is gone: the consumers may start before or
// after the producer and the timers fire on different threads, so the last
// consumer may find the queue momentarily empty and leave while items are
// still to come; then the producer's join() waits forever. So this example
// keeps the seed's consumers on one loop (the same timings, times 10, and the
// same output), and on several loops has them serve until the work is done:
// they loop until main cancels them once the producer's join() has returned,
// the pattern the asyncio documentation uses.
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/sync/queue.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

/// `leave_when_empty`: the seed's consumer (one loop); otherwise it serves
/// until cancelled.
void consumer(char name, coreio::Queue<int>& queue, bool leave_when_empty) {
  fmt::print("Consumer {} starting\n", name);
  try {
    while (true) {
      int item = queue.get();
      fmt::print("Consumer {} has item {}\n", name, item);
      coreio::sleep(sec(0.1 * item));
      fmt::print("Consumer {} mark item {} as done\n", name, item);
      queue.task_done(); // one fewer unfinished item
      if (leave_when_empty && queue.empty()) {
        fmt::print("Consumer {} ending\n", name);
        return;
      }
    }
  } catch (const coreio::CancelledError&) {
    fmt::print("Consumer {} ending\n", name);
    throw;
  }
}

void producer(coreio::Queue<int>& queue) {
  fmt::print("Producer starting\n");
  for (int i = 0; i < 5; ++i) {
    coreio::sleep(sec(0.2));
    queue.put(i); // one more unfinished item
    fmt::print("Producer put item {} to the queue\n", i);
  }
  fmt::print("Producer waiting for queued items to be done.\n");
  queue.join();
  fmt::print("Producer ending\n");
}

int main() {
  coreio::run(
      [] {
        coreio::Queue<int> queue;
        const bool one_loop = coreio::get_running_loop().runtime().num_loops() == 1;
        std::vector<coreio::Task<void>> consumers;
        for (char name : std::string("abc"))
          consumers.push_back(coreio::create_task([name, &queue, one_loop] { consumer(name, queue, one_loop); }));
        coreio::create_task([&queue] { producer(queue); }).get();
        if (!one_loop) {
          for (auto& c : consumers) c.cancel();
        }
        coreio::gather(coreio::return_exceptions, consumers); // wait until they have left
      },
      examples::shape());
}
