// Seed 000_101465e587657cb0.txt "asyncio 模块", §3.3 asyncio.to_thread()
//
//     def blocking_io():
//         time.sleep(2)
//         return "Blocking I/O finished"
//
//     async def main():
//         result = await asyncio.to_thread(blocking_io)
//         print(result)
//
// A blocking call (std::this_thread::sleep_for stands for time.sleep) runs on
// the runtime's blocking pool; the task suspends until it returns, and the
// loop keeps running other work meanwhile: the ticker task below prints
// while the thread sleeps, which it could not do if main had called
// blocking_io() directly on the loop's thread (with one loop, nothing else
// would run for 2 s).
#include <chrono>
#include <string>
#include <thread>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string blocking_io() {
  std::this_thread::sleep_for(sec(2)); // blocks its thread, not a loop
  return "Blocking I/O finished";
}

int main() {
  coreio::run(
      [] {
        auto ticker = coreio::create_task([] {
          for (int i = 1; i <= 3; ++i) {
            coreio::sleep(sec(0.5));
            fmt::print("the loop is free: tick {}\n", i);
          }
        });
        std::string result = coreio::to_thread(blocking_io);
        fmt::print("{}\n", result);
        ticker.get();
      },
      examples::shape());
}
