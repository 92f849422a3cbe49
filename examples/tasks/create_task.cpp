// Seed 004_51d90bd42b37662f.txt "asyncio", asyncio.create_task()
//
//     async def main():
//         task1 = asyncio.create_task(say_after(1, 'hello'))
//         task2 = asyncio.create_task(say_after(2, 'world'))
//         print(f"started at {time.strftime('%X')}")
//         # 等待两个任务都完成（大约需要2秒钟）。
//         await task1
//         await task2
//         print(f"finished at {time.strftime('%X')}")
//
// One second faster than awaiting say_after twice (basics/say_after_await):
// both sleeps overlap. create_task returns a Task<void> here; get() awaits it.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void say_after(double delay, const char* what) {
  coreio::sleep(sec(delay));
  fmt::print("{}\n", what);
}

int main() {
  coreio::run(
      [] {
        auto task1 = coreio::create_task([] { say_after(1, "hello"); });
        auto task2 = coreio::create_task([] { say_after(2, "world"); });
        fmt::print("started at {}\n", examples::clock_hms());
        // Wait until both tasks are done (about 2 seconds).
        task1.get();
        task2.get();
        fmt::print("finished at {}\n", examples::clock_hms());
      },
      examples::shape());
}
