// Seed 004_51d90bd42b37662f.txt "asyncio", asyncio.gather /
// 示例3: asyncio.create_task 结合 asyncio.gather
//
//     async def coro1():
//         await asyncio.sleep(1)
//         return "Result 1"
//
//     async def coro2():
//         await asyncio.sleep(2)
//         return "Result 2"
//
//     async def main():
//         task1 = asyncio.create_task(coro1())
//         task2 = asyncio.create_task(coro2())
//         results = await asyncio.gather(task1, task2)
//         print(f"Results: {results}")
//
// gather() also takes tasks that are already running; it waits for them
// without creating new ones. 2 s in all.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string coro1() {
  coreio::sleep(sec(1));
  return "Result 1";
}

std::string coro2() {
  coreio::sleep(sec(2));
  return "Result 2";
}

int main() {
  coreio::run(
      [] {
        auto task1 = coreio::create_task(coro1);
        auto task2 = coreio::create_task(coro2);
        auto [r1, r2] = coreio::gather(task1, task2);
        fmt::print("Results: ['{}', '{}']\n", r1, r2);
      },
      examples::shape());
}
