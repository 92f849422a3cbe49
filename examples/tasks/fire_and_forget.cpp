// Seed 004_51d90bd42b37662f.txt "asyncio", asyncio.create_task() / 强引用与弱引用
//
//     asyncio.create_task(some_coro(...))   # 没有赋值（弱引用）: may be garbage-collected
//
//     task1 = asyncio.create_task(some_coro(...))   # 赋值（强引用）
//
// asyncio's loop keeps only weak references to tasks, so a task nobody holds
// may vanish mid-flight. coreio's runtime owns every task until it is done:
// dropping the Task handle is safe, the task still runs to the end. What does
// end it is the end of the program's main, exactly as in asyncio.run: tasks
// still pending when main returns are cancelled and unwound (their
// destructors and catch blocks run) before coreio::run returns.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void some_coro(int param, double delay) {
  try {
    coreio::sleep(sec(delay));
    fmt::print("Task with param {} completed\n", param);
  } catch (const coreio::CancelledError&) {
    fmt::print("Task with param {} cancelled by coreio::run's shutdown\n", param);
    throw;
  }
}

int main() {
  coreio::run(
      [] {
        coreio::create_task([] { some_coro(0, 1); }); // handle dropped: still runs
        coreio::create_task([] { some_coro(1, 5); }); // outlives main: cancelled
        coreio::sleep(sec(2));
        fmt::print("main returns\n");
      },
      examples::shape());
  fmt::print("coreio::run returned\n");
}
