// Seed 002_fe069254cff52593.txt (禅与计算机程序设计艺术, "异步编程"),
// §3.2.2 创建任务 (first snippet), and seed 001_aa66952d510d8274.txt
// "Python asyncio 模块详解", §3.2 事件循环 (手动管理事件循环)
//
//     async def mycoroutine():
//         print('hello world')
//
//     loop = asyncio.get_event_loop()
//     task = loop.create_task(mycoroutine())
//     loop.run_until_complete(task)   # run until task is complete
//
// and seed 001's manual form
//
//     loop = asyncio.get_event_loop()
//     try:
//         loop.run_until_complete(main())
//     finally:
//         loop.close()
//
// A coreio::Runner owns the loops (their threads start with it); its loop's
// create_task pins the task to that loop, and run_until_complete blocks the
// calling thread until the task is done. Loops close with their runtime:
// Runner::close() is loop.close() here, and runs in the destructor too.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

void mycoroutine() { fmt::print("hello world\n"); }

int main() {
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();
  auto task = loop.create_task(mycoroutine);
  loop.run_until_complete(task);
  fmt::print("task done: {}\n", task.done());
  runner.close(); // loop.close(); ~Runner would do it too, as the seed's finally does
  fmt::print("loop closed: {}\n", loop.is_closed());
}
