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
// The seed's consumers leave as soon as the queue is momentarily empty. Items
// arrive every 0.02 s and each consumer takes one, finds the queue empty and
// leaves: after three items nobody is left, items 3 and 4 are never
// processed, and the producer's join() waits forever (whether consumer c
// sees item 3 depends on two timers due at the same instant). The intended
// program has the consumers serve until the work is done: here they loop
// until main cancels them, once the producer's join() has returned, which is
// the pattern the asyncio documentation uses. The producer's interval is 10x
// the seed's and the per-item work 5x, so that no two events fall on the
// same instant (in the seed, item 2 is done exactly when item 3 arrives).
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/sync/queue.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void consumer(char name, coreio::Queue<int>& queue) {
  fmt::print("Consumer {} starting\n", name);
  try {
    while (true) {
      int item = queue.get();
      fmt::print("Consumer {} has item {}\n", name, item);
      coreio::sleep(sec(0.05 * item));
      fmt::print("Consumer {} mark item {} as done\n", name, item);
      queue.task_done(); // one fewer unfinished item
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
        std::vector<coreio::Task<void>> consumers;
        for (char name : std::string("abc"))
          consumers.push_back(coreio::create_task([name, &queue] { consumer(name, queue); }));
        coreio::create_task([&queue] { producer(queue); }).get();
        for (auto& c : consumers) c.cancel();
        coreio::gather(coreio::return_exceptions, consumers); // wait until they have left
      },
      examples::shape());
}
