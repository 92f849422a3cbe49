// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §4.2.3 asyncio.gather
//
//     results = await asyncio.gather(say_hello(), say_world(), return_exceptions=True)
//     # 或者
//     results = loop.run_until_complete(asyncio.gather(*[say_hello(),say_world()]))
//
// (say_hello and say_world are §1.2's coroutines.) The first form runs inside
// a task. For the second: asyncio's gather() returns a future that
// run_until_complete can drive from outside the loop; coreio's gather() is a
// call that suspends the calling task, so from a plain thread it is run in a
// task and the task is driven instead.
#include <string>
#include <tuple>

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

int main() {
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();

  auto outcomes = runner.run([] { return coreio::gather(coreio::return_exceptions, say_hello, say_world); });
  fmt::print("['{}', '{}']\n", std::get<0>(outcomes).value(), std::get<1>(outcomes).value());

  auto [hello, world] = loop.run_until_complete(loop.create_task([] { return coreio::gather(say_hello, say_world); }));
  fmt::print("['{}', '{}']\n", hello, world);
}
