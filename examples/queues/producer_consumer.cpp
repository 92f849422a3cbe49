// Seed 001_aa66952d510d8274.txt "Python asyncio 模块详解", §4.2 队列 (asyncio.Queue)
//
//     async def producer(queue, n_items):
//         for i in range(n_items):
//             item = f"项目-{i}"
//             await asyncio.sleep(random.uniform(0.1, 0.5)) # 模拟生产耗时
//             await queue.put(item)
//             print(f"生产者: 已生产 {item}")
//         await queue.put(None) # 发送结束信号
//
//     async def consumer(queue, consumer_id):
//         while True:
//             item = await queue.get()
//             if item is None: # 收到结束信号
//                 queue.task_done() # 标记结束信号已处理
//                 await queue.put(None) # 将结束信号传递给其他消费者 (如果需要)
//                 print(f"消费者 {consumer_id}: 收到结束信号, 退出")
//                 break
//             print(f"消费者 {consumer_id}: 正在处理 {item}")
//             await asyncio.sleep(random.uniform(0.2, 1.0)) # 模拟消费耗时
//             print(f"消费者 {consumer_id}: 已处理 {item}")
//             queue.task_done()
//
//     async def main():
//         queue = asyncio.Queue(maxsize=5) # 设置队列最大容量
//         producers = [asyncio.create_task(producer(queue, 10))]
//         consumers = [asyncio.create_task(consumer(queue, i)) for i in range(2)]
//         await asyncio.gather(*producers) # 等待生产者完成
//         print("所有生产者已完成生产。")
//         await queue.join() # 等待所有队列中的项目被处理
//         print("所有项目已处理。消费者即将退出。")
//         await asyncio.gather(*consumers)
//
// A bounded queue between one producer and two consumers; None, the end
// marker, is std::nullopt here. Each consumer passes the marker on before it
// leaves, so both stop (one marker stays in the queue at the end, as in the
// seed). join() returns once every item put has been marked task_done().
// With several loops the consumers process items in parallel on different
// threads; the Queue is thread-safe.
#include <optional>
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/sync/queue.hpp>
#include <fmt/core.h>

#include "common/random.hpp"
#include "common/shape.hpp"

using examples::sec;
using Item = std::optional<std::string>; // nullopt: the end marker

void producer(coreio::Queue<Item>& queue, int n_items) {
  for (int i = 0; i < n_items; ++i) {
    std::string item = fmt::format("项目-{}", i);
    coreio::sleep(sec(examples::uniform(0.1, 0.5))); // producing takes a while
    queue.put(item);
    fmt::print("生产者: 已生产 {}\n", item);
  }
  queue.put(std::nullopt); // the end marker
}

void consumer(coreio::Queue<Item>& queue, int consumer_id) {
  while (true) {
    Item item = queue.get();
    if (!item) {                // the end marker
      queue.task_done();        // the marker counts as processed
      queue.put(std::nullopt);  // pass it on to the other consumers
      fmt::print("消费者 {}: 收到结束信号, 退出\n", consumer_id);
      break;
    }
    fmt::print("消费者 {}: 正在处理 {}\n", consumer_id, *item);
    coreio::sleep(sec(examples::uniform(0.2, 1.0))); // consuming takes a while
    fmt::print("消费者 {}: 已处理 {}\n", consumer_id, *item);
    queue.task_done();
  }
}

int main() {
  coreio::run(
      [] {
        coreio::Queue<Item> queue(5); // at most five items waiting
        std::vector<coreio::Task<void>> producers{coreio::create_task([&] { producer(queue, 10); })};
        std::vector<coreio::Task<void>> consumers;
        for (int i = 0; i < 2; ++i) consumers.push_back(coreio::create_task([&queue, i] { consumer(queue, i); }));

        coreio::gather(producers);
        fmt::print("所有生产者已完成生产。\n");
        queue.join();
        fmt::print("所有项目已处理。消费者即将退出。\n");
        coreio::gather(consumers);
      },
      examples::shape());
}
