// Seed 004_51d90bd42b37662f.txt "asyncio", asyncio.timeout / 使用示例
//
//     async def my_coroutine():
//         print("Task started")
//         await asyncio.sleep(5)  # 模拟一个耗时5秒的异步任务
//         print("Task finished")
//
//     async def main():
//         try:
//             async with asyncio.timeout(3):  # 设置超时时间为3秒
//                 await my_coroutine()
//         except asyncio.TimeoutError:
//             print("The task took too long and was cancelled")
//
// `async with asyncio.timeout(3): body` is coreio::timeout(3 s, body): the
// body runs in the calling task, is cancelled when the deadline passes, and
// the CancelledError that ends it becomes TimeoutError at the scope's edge
// (the seed's IMPORTANT note). It takes 3 s, not 5.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void my_coroutine() {
  fmt::print("Task started\n");
  coreio::sleep(sec(5)); // a 5 s job
  fmt::print("Task finished\n");
}

int main() {
  coreio::run(
      [] {
        try {
          coreio::timeout(sec(3), my_coroutine); // a 3 s limit
        } catch (const coreio::TimeoutError&) {
          fmt::print("The task took too long and was cancelled\n");
        }
      },
      examples::shape());
}
