// Seed 004_51d90bd42b37662f.txt "asyncio", 写法示例 / 单 await 示例
//
//     async def main():
//         print('hello')
//         await asyncio.sleep(1)
//         print('world')
//
//     asyncio.run(main())
//
// Prints "hello", waits one second, prints "world". The seed notes that
// calling main() without asyncio.run fails; in coreio, calling main() outside
// a runtime would make coreio::sleep block the calling thread instead, so the
// runtime is what makes the wait cost no thread.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

int main() {
  coreio::run(
      [] {
        fmt::print("hello\n");
        coreio::sleep(sec(1));
        fmt::print("world\n");
      },
      examples::shape());
}
