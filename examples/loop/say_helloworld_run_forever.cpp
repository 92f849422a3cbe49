// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）",
// §1.2 await, §2.1.3 协程加入事件循环调度 and §2.2 放在一起执行 (first form)
//
//     async def say_hello():
//         print('in say_hello')
//         return 'Hello'
//     async def say_world():
//         print('in say_world')
//         return 'World'
//     async def say_helloworld():
//         print('in say_helloworld')
//         value = await say_hello() + await say_world()
//         return value
//
//     loop = asyncio.get_event_loop()
//     loop.create_task(say_helloworld())
//     loop.run_forever()
//
// The seed's loop runs forever (the program never ends, and the result is
// lost, which is the point the tutorial makes before §2.2's second form).
// This port keeps the shape — a Runner's loop, loop.create_task, then
// run_forever on the calling thread — and stops the loop once the task is
// done, so the example ends. coreio's loops run on their own threads:
// run_forever() only blocks the caller until stop(). Unlike asyncio's, a
// stop() that comes before run_forever() is entered is not remembered, so
// the done callback stops the loop a moment later rather than at once.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string say_hello() {
  fmt::print("in say_hello\n");
  return "Hello";
}

std::string say_world() {
  fmt::print("in say_world\n");
  return "World";
}

std::string say_helloworld() {
  fmt::print("in say_helloworld\n");
  std::string hello = say_hello();
  return hello + say_world();
}

int main() {
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();
  auto task = loop.create_task(say_helloworld);
  task.add_done_callback([&loop](coreio::Future<std::string>&) { loop.call_later(sec(1), [&loop] { loop.stop(); }); });
  loop.run_forever();
  fmt::print("run_forever returned; the task is done: {}\n", task.done());
}
