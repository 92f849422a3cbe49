// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §6.1 调度接口
//
//     def test(*args, **kwargs):
//         print("---------")
//         print("args: ".format(args))
//         print("kwargs: ".format(kwargs))
//         return True
//
//     async def main(loop):
//         loop.call_soon(test)                  # 下一次Loop时被执行,不带参数
//         loop.call_soon(test, 1, 2, 3)         # 带位置参数
//         new_test = functools.partial(test, a='a', b='b')
//         loop.call_soon(new_test, 1, 2, 3)     # 带关键字参数
//         loop.call_later(1.5003, test, "delay call 1")
//         loop.call_later(1.5002, test, "delay call 2")
//         when = datetime_to_monotonic(loop, 2018, 1, 31, 15, 8, 30)
//         loop.call_at(when, test, "timed call")
//
//     def datetime_to_monotonic(loop, *args, **kwargs):
//         delta = (datetime(*args, **kwargs) - datetime.now()).total_seconds()
//         return loop.time() + delta
//
//     loop = asyncio.get_event_loop()
//     loop.create_task(main(loop))
//     loop.run_forever()
//
// Three slips in the seed, each ported as intended:
//  - "args: ".format(args) has no {} and prints no arguments; this prints them.
//  - the call_at date is in 2018, long past, so the "timed call" would run at
//    once; the point is converting a wall-clock moment to the loop's
//    monotonic clock, so this converts "two seconds from now".
//  - run_forever never returns; here the timed call, the last one, stops it.
// Positional and keyword arguments are a lambda's captures in C++;
// functools.partial is std::bind_front.
//
// The three call_soon callbacks run first, in FIFO order. "delay call 2" is
// due 0.1 ms before "delay call 1", so it normally runs first, but each
// call_later reads the clock separately, so a preemption between the two
// calls can swap them (as in asyncio): the test accepts either order.
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <fmt/core.h>
#include <fmt/ranges.h>

#include "common/shape.hpp"

using examples::sec;
using Args = std::vector<std::string>;
using Kwargs = std::map<std::string, std::string>;

bool test(const Kwargs& kwargs, const Args& args) {
  fmt::print("---------\n");
  fmt::print("args: ({})\n", fmt::join(args, ", "));
  std::vector<std::string> items;
  for (const auto& [k, v] : kwargs) items.push_back(fmt::format("'{}': '{}'", k, v));
  fmt::print("kwargs: {{{}}}\n", fmt::join(items, ", "));
  return true;
}

/// A wall-clock moment on the loop's monotonic clock (Loop::time()).
coreio::Loop::time_point datetime_to_monotonic(coreio::Loop& loop, std::chrono::system_clock::time_point when) {
  auto delta = when - std::chrono::system_clock::now();
  return loop.time() + std::chrono::duration_cast<std::chrono::nanoseconds>(delta);
}

void main_task(coreio::Loop& loop) {
  // Called soon: on the loop's next turn.
  loop.call_soon([] { test({}, {}); });
  loop.call_soon([] { test({}, {"1", "2", "3"}); });
  auto new_test = std::bind_front(test, Kwargs{{"a", "a"}, {"b", "b"}});
  loop.call_soon([new_test] { new_test(Args{"1", "2", "3"}); });

  // Called later.
  loop.call_later(sec(1.5003), [] { test({}, {"delay call 1"}); });
  loop.call_later(sec(1.5002), [] { test({}, {"delay call 2"}); });

  // Called at a moment of the wall clock.
  auto wall = std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(sec(2));
  auto when = datetime_to_monotonic(loop, wall);
  loop.call_at(when, [&loop] {
    test({}, {"timed call"});
    loop.stop();
  });
}

int main() {
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();
  loop.create_task([&loop] { main_task(loop); });
  loop.run_forever();
}
