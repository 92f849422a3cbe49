// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）",
// §4.1.3 协程的等待与结果获取
//
//     async def fetch_data():
//         await asyncio.sleep(2)
//         return "data"
//
//     async def main():
//         data = await fetch_data()
//         print(data)
//
//     asyncio.run(main())
//
// Awaiting a coroutine and using its result is calling a function and using
// its return value; the sleep inside suspends the main task for 2 s.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string fetch_data() {
  coreio::sleep(sec(2)); // simulated data fetch
  return "data";
}

int main() {
  coreio::run(
      [] {
        std::string data = fetch_data();
        fmt::print("{}\n", data);
      },
      examples::shape());
}
