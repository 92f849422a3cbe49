// Seed 001_aa66952d510d8274.txt "Python asyncio 模块详解",
// §5 常见陷阱与最佳实践 (取消任务 Cancellation)
//
//     async def my_task():
//         try:
//             while True:
//                 print("任务运行中...")
//                 await asyncio.sleep(1)
//         except asyncio.CancelledError:
//             print("任务被取消，正在清理...")
//             raise # 重新抛出 CancelledError 很重要
//
//     # task = asyncio.create_task(my_task())
//     # await asyncio.sleep(3)
//     # task.cancel()
//     # try:
//     #     await task
//     # except asyncio.CancelledError:
//     #     print("主协程捕获到任务取消")
//
// The well-behaved form: the task cleans up and re-raises, so it ends
// cancelled and awaiting it raises CancelledError in the awaiting task too.
// The seed leaves the driver commented out; this port runs it as main.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void my_task() {
  try {
    while (true) {
      fmt::print("任务运行中...\n");
      coreio::sleep(sec(1));
    }
  } catch (const coreio::CancelledError&) {
    fmt::print("任务被取消，正在清理...\n");
    throw; // re-raising CancelledError matters
  }
}

int main() {
  coreio::run(
      [] {
        auto task = coreio::create_task(my_task);
        coreio::sleep(sec(3));
        task.cancel();
        try {
          task.get();
        } catch (const coreio::CancelledError&) {
          fmt::print("主协程捕获到任务取消\n");
        }
        fmt::print("task.cancelled() = {}\n", task.cancelled());
      },
      examples::shape());
}
