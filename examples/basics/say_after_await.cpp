// Seed 004_51d90bd42b37662f.txt "asyncio", 写法示例 / 多个 await 示例
//
//     async def say_after(delay, what):
//         await asyncio.sleep(delay)
//         print(what)
//
//     async def main():
//         print(f"started at {time.strftime('%X')}")
//         await say_after(1, 'hello')
//         await say_after(2, 'world')
//         print(f"finished at {time.strftime('%X')}")
//
// Two awaits in a row: "hello" after 1 s, "world" 2 s later, 3 s in all.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void say_after(double delay, const char* what) {
  coreio::sleep(sec(delay));
  fmt::print("{}\n", what);
}

int main() {
  coreio::run(
      [] {
        fmt::print("started at {}\n", examples::clock_hms());
        say_after(1, "hello");
        say_after(2, "world");
        fmt::print("finished at {}\n", examples::clock_hms());
      },
      examples::shape());
}
