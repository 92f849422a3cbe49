// Seed 000_101465e587657cb0.txt "asyncio 模块", §1.2 事件循环（Event Loop）
//
//     async def say_hello():
//         print("Hello")
//         await asyncio.sleep(1)
//         print("World")
//
//     asyncio.run(say_hello())
//
// coreio::run is asyncio.run: it starts the loops (each on its own thread),
// runs the function as the main task, and returns when it is done.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void say_hello() {
  fmt::print("Hello\n");
  coreio::sleep(sec(1));
  fmt::print("World\n");
}

int main() { coreio::run(say_hello, examples::shape()); }
