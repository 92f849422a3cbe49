// Seed 000_101465e587657cb0.txt "asyncio 模块", §1.1 协程（Coroutines）
//
//     async def my_coroutine():
//         print("Start")
//         await asyncio.sleep(1)  # 模拟 I/O 操作
//         print("End")
//
// A coroutine is an ordinary function that coreio runs as a task (a fiber):
// `await asyncio.sleep(1)` is `coreio::sleep(1s)`, which suspends the task,
// never the thread. The seed only defines the coroutine; this port also runs
// it, with coreio::run in the role of asyncio.run.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void my_coroutine() {
  fmt::print("Start\n");
  coreio::sleep(sec(1)); // simulated I/O
  fmt::print("End\n");
}

int main() { coreio::run(my_coroutine, examples::shape()); }
