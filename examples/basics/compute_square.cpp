// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）",
// §4.1.4 错误处理 (the complete example closing §4.1)
//
//     async def compute_square(number):
//         await asyncio.sleep(1)
//         return number * number
//
//     async def main():
//         result = await compute_square(2)
//         print(f"结果: {result}")
//
//     asyncio.run(main())
//
// coreio::run returns what the main function returns, as asyncio.run returns
// main()'s result; here main prints it itself, as in the seed.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

int compute_square(int number) {
  coreio::sleep(sec(1));
  return number * number;
}

int main() {
  coreio::run(
      [] {
        int result = compute_square(2);
        fmt::print("结果: {}\n", result);
      },
      examples::shape());
}
