// Seed 002_fe069254cff52593.txt (禅与计算机程序设计艺术, "异步编程"),
// §3.2.2 创建任务 (second snippet)
//
//     async def mycoroutine():
//         await asyncio.sleep(1)
//         print('hello world')
//
//     loop = asyncio.get_event_loop()
//     task = asyncio.ensure_future(mycoroutine())
//     loop.run_until_complete(task)   # run until task is complete
//
// coreio::ensure_future of a function is create_task; a task that is already
// a Task is passed around as it is. The seed calls ensure_future outside a
// running loop (deprecated in Python); here it runs inside the runtime's
// main task, which is where asyncio wants it.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void mycoroutine() {
  coreio::sleep(sec(1));
  fmt::print("hello world\n");
}

int main() {
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();
  auto task = runner.run([] { return coreio::ensure_future(mycoroutine); });
  loop.run_until_complete(task);
  fmt::print("task done: {}\n", task.done());
}
