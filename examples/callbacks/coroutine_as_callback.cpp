// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §6.3.1 协程作回调函数
//
//     async def my_coroutine():
//         # 协程逻辑
//         ...
//
//     loop = asyncio.get_event_loop()
//     task = loop.create_task(my_coroutine())
//     loop.call_soon(task)
//
// The seed is wrong: a Task is not callable, and loop.call_soon(task) fails
// with "TypeError: 'Task' object is not callable" when the loop runs it
// (create_task has already scheduled the coroutine anyway). What it means is
// "let a plain callback start a coroutine": the callback calls create_task.
// A callback may not suspend (it runs on the loop between task steps), so
// anything that waits belongs in the task it starts; the task's done
// callback carries its result back into callback land.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string my_coroutine() {
  fmt::print("my_coroutine: started from a callback\n");
  coreio::sleep(sec(0.5)); // a task may suspend; a callback may not
  return "my_coroutine's result";
}

int main() {
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();
  loop.call_soon([&loop] {
    fmt::print("callback: starting my_coroutine\n");
    auto task = loop.create_task(my_coroutine);
    task.add_done_callback([&loop](coreio::Future<std::string>& done) {
      fmt::print("done callback: {}\n", done.result());
      loop.stop();
    });
  });
  loop.run_forever();
}
