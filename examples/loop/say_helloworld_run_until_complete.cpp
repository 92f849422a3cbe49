// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）",
// §2.1.1 事件循环策略 and §2.2 放在一起执行 (second form)
//
//     asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
//     loop = asyncio.get_event_loop()
//     retval = loop.run_until_complete(say_helloworld())
//     print(retval)
//
// Swapping the loop implementation (the event loop policy, uvloop) is
// choosing a RuntimeConfig in coreio: `.loops = 1` is the single-loop design
// asyncio and uvloop share, more loops with or without stealing are the
// other two shapes (examples::shape() reads the choice from COREIO_LOOPS and
// COREIO_STEALING). run_until_complete blocks the calling thread until the
// task is done and returns its result.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

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
  coreio::Runner runner(examples::shape()); // the "policy": how many loops, stealing or not
  coreio::Loop& loop = runner.get_loop();
  std::string retval = loop.run_until_complete(loop.create_task(say_helloworld));
  fmt::print("{}\n", retval);
}
