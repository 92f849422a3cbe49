// Seed 004_51d90bd42b37662f.txt "asyncio", asyncio.TaskGroup
//
//     async def main():
//         async with asyncio.TaskGroup() as tg:
//             task1 = tg.create_task(say_after(1, 'hello'))
//             task2 = tg.create_task(say_after(2, 'world'))
//             print(f"started at {time.strftime('%X')}")
//         # The await is implicit when the context manager exits.
//         print(f"finished at {time.strftime('%X')}")
//
// The same output and timing as tasks/create_task, with the awaits implicit
// at the end of the group's scope.
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
        coreio::task_group([](coreio::TaskGroup& tg) {
          auto task1 = tg.create_task([] { say_after(1, "hello"); });
          auto task2 = tg.create_task([] { say_after(2, "world"); });
          fmt::print("started at {}\n", examples::clock_hms());
        }); // the awaits are implicit here
        fmt::print("finished at {}\n", examples::clock_hms());
      },
      examples::shape());
}
