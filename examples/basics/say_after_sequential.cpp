// Seed 001_aa66952d510d8274.txt "Python asyncio 模块详解", §3.1 async 和 await
//
//     async def say_after(delay, what):
//         await asyncio.sleep(delay)
//         print(what)
//         return f"{what} done"
//
//     async def main():
//         print(f"开始于 {time.strftime('%X')}")
//         coro1 = say_after(1, 'hello')
//         coro2 = say_after(2, 'world')
//         result1 = await coro1
//         result2 = await coro2
//         print(result1)
//         print(result2)
//         print(f"结束于 {time.strftime('%X')}")
//
// Awaiting one coroutine after the other runs them one after the other:
// about 3 s in all. In coreio "awaiting a coroutine" is calling the function,
// so there is no coroutine object to hold: the two calls below are the two
// awaits.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string say_after(double delay, const std::string& what) {
  coreio::sleep(sec(delay));
  fmt::print("{}\n", what);
  return what + " done";
}

int main() {
  coreio::run(
      [] {
        fmt::print("开始于 {}\n", examples::clock_hms());
        std::string result1 = say_after(1, "hello");
        std::string result2 = say_after(2, "world");
        fmt::print("{}\n{}\n", result1, result2);
        fmt::print("结束于 {}\n", examples::clock_hms());
      },
      examples::shape());
}
