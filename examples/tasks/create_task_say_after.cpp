// Seed 001_aa66952d510d8274.txt "Python asyncio 模块详解", §3.3 任务 (Tasks)
//
//     async def say_after(delay, what):
//         await asyncio.sleep(delay)
//         print(what)
//         return f"{what} processed"
//
//     async def main():
//         print(f"开始于 {time.strftime('%X')}")
//         task1 = asyncio.create_task(say_after(1, 'hello'))
//         task2 = asyncio.create_task(say_after(2, 'world'))
//         result1 = await task1
//         print(f"Task 1 返回: {result1}")
//         result2 = await task2
//         print(f"Task 2 返回: {result2}")
//         print(f"结束于 {time.strftime('%X')}")
//
// The two tasks run concurrently: about 2 s in all, not 3. `await task1` is
// task1.get(), which suspends main until task1 is done and returns its value.
// With several loops the two tasks may also run in parallel on different
// threads; the output is the same.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string say_after(double delay, const std::string& what) {
  coreio::sleep(sec(delay));
  fmt::print("{}\n", what);
  return what + " processed";
}

int main() {
  coreio::run(
      [] {
        fmt::print("开始于 {}\n", examples::clock_hms());
        auto task1 = coreio::create_task([] { return say_after(1, "hello"); });
        auto task2 = coreio::create_task([] { return say_after(2, "world"); });
        std::string result1 = task1.get();
        fmt::print("Task 1 返回: {}\n", result1);
        std::string result2 = task2.get();
        fmt::print("Task 2 返回: {}\n", result2);
        fmt::print("结束于 {}\n", examples::clock_hms());
      },
      examples::shape());
}
