// Seed 002_fe069254cff52593.txt (禅与计算机程序设计艺术, "异步编程"), §3.2.4 异常处理
//
//     async def task1():
//         raise Exception("task1 exception")
//
//     async def task2():
//         return "task2 result"
//
//     async def main():
//         t1 = asyncio.create_task(task1())
//         t2 = asyncio.create_task(task2())
//         try:
//             results = await asyncio.gather(*[t1, t2])
//             print(results)
//         except Exception as e:
//             if isinstance(e, asyncio.exceptions.CancelledError):
//                 print("main cancelled")
//             else:
//                 raise e
//
//     loop = asyncio.new_event_loop()
//     asyncio.set_event_loop(loop)
//     loop.run_until_complete(main())
//     loop.close()
//
// The seed's claimed output ("Exception in callback None()" and then
// ['task2 result']) is wrong. gather() raises task1's exception in main;
// main re-raises it, and run_until_complete raises it to the top level,
// where the program dies with a traceback; nothing is printed. The
// isinstance test is dead code too: since Python 3.8 CancelledError is not an
// Exception, so `except Exception` never sees it. It is the same in coreio:
// CancelledError is not a std::exception and needs its own catch.
// This port shows what really happens: the exception arrives in main, goes
// up through run_until_complete, and main() reports it and exits with 1.
#include <stdexcept>
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

void task1() { throw std::runtime_error("task1 exception"); }

std::string task2() { return "task2 result"; }

void main_task() {
  auto t1 = coreio::create_task(task1);
  auto t2 = coreio::create_task(task2);
  try {
    auto [r1, r2] = coreio::gather(t1, t2);
    fmt::print("['{}']\n", r2);
  } catch (const coreio::CancelledError&) {
    fmt::print("main cancelled\n"); // would need its own catch: not a std::exception
    throw;
  } catch (const std::exception& e) {
    fmt::print("main: gather raised '{}', re-raising\n", e.what());
    throw;
  }
}

int main() {
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();
  try {
    loop.run_until_complete(loop.create_task(main_task));
  } catch (const std::exception& e) {
    fmt::print("run_until_complete raised: {}\n", e.what());
    return 1;
  }
}
