// Seed 002_fe069254cff52593.txt (禅与计算机程序设计艺术, "异步编程"), §3.2.3 取消任务
//
//     async def mycoroutine():
//         try:
//             while True:
//                 print('hello world')
//                 await asyncio.sleep(1)
//         except asyncio.CancelledError as e:
//             pass
//
//     loop = asyncio.get_event_loop()
//     task = loop.create_task(mycoroutine())
//     loop.call_later(5, task.cancel)    # call cancel after 5 seconds
//     try:
//         loop.run_forever()
//     except KeyboardInterrupt as e:
//         task.cancel()
//     finally:
//         loop.close()
//
// The seed's text is wrong in places: there is no asyncio.cancel(task) (it is
// task.cancel()), and cancelling raises CancelledError inside the task, never
// TimeoutError. Its program never ends either: nothing stops run_forever once
// the task is cancelled. This port keeps the shape (a loop timer cancels the
// task, the calling thread sits in run_forever) and stops the loop from the
// task's done callback. The cancel fires at 4.5 s instead of 5 s: at exactly
// 5 s it would race with the task's own 1 s timer, and timers with equal
// deadlines run in no defined order. Ctrl-C handling belongs to
// loop.add_signal_handler (net/), so the KeyboardInterrupt branch is left out.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void mycoroutine() {
  try {
    while (true) {
      fmt::print("hello world\n");
      coreio::sleep(sec(1));
    }
  } catch (const coreio::CancelledError&) {
    // swallowed, as in the seed: the task then ends normally
  }
}

int main() {
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();
  auto task = loop.create_task(mycoroutine);
  task.add_done_callback([&loop](coreio::Future<void>&) { loop.stop(); });
  loop.call_later(sec(4.5), [task]() mutable { task.cancel(); });
  loop.run_forever();
  runner.close(); // loop.close()
  fmt::print("task done: {}, cancelled: {}\n", task.done(), task.cancelled());
}
