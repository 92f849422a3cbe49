// Seed 000_101465e587657cb0.txt "asyncio 模块", §2.1 异步上下文管理器的增强
//
//     async def my_coroutine():
//         print("Running coroutine")
//
//     async def main():
//         await asyncio.run(my_coroutine())
//
//     asyncio.run(main())
//
// The seed is wrong: no Python version lets asyncio.run() nest. Called from a
// coroutine it raises "RuntimeError: asyncio.run() cannot be called from a
// running event loop" (and asyncio.run returns a value, not an awaitable).
// coreio::run behaves the same way. The intended program awaits the
// coroutine itself, which in coreio is a plain call from the main task.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

void my_coroutine() { fmt::print("Running coroutine\n"); }

int main() {
  coreio::run(
      [] {
        try {
          coreio::run(my_coroutine); // what the seed wrote
        } catch (const coreio::RuntimeError& e) {
          fmt::print("RuntimeError: {}\n", e.what());
        }
        my_coroutine(); // what it meant: `await my_coroutine()`
      },
      examples::shape());
}
