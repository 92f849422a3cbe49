// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §4.1.4 错误处理
//
//     async def might_fail():
//         raise Exception("出错了！")
//
//     async def main():
//         try:
//             await might_fail()
//         except Exception as e:
//             print(f"错误捕获: {e}")
//
//     asyncio.run(main())
//
// Exceptions cross an await unchanged; in coreio they are ordinary C++
// exceptions. `except Exception` is `catch (const std::exception&)`, which,
// like Python's, does not catch coreio::CancelledError (not a std::exception).
#include <stdexcept>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

void might_fail() { throw std::runtime_error("出错了！"); }

int main() {
  coreio::run(
      [] {
        try {
          might_fail();
        } catch (const std::exception& e) {
          fmt::print("错误捕获: {}\n", e.what());
        }
      },
      examples::shape());
}
