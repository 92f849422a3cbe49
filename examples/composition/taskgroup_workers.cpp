// Seed 000_101465e587657cb0.txt "asyncio 模块", §3.1 asyncio.TaskGroup
//
//     async def worker(name, delay):
//         await asyncio.sleep(delay)
//         print(f"{name} finished")
//
//     async def main():
//         async with asyncio.TaskGroup() as tg:
//             tg.create_task(worker("Task 1", 2))
//             tg.create_task(worker("Task 2", 1))
//             tg.create_task(worker("Task 3", 3))
//
// (TaskGroup arrived in Python 3.11, not 3.10 as the seed says.)
// `async with TaskGroup() as tg:` is coreio::task_group(body): the body
// creates the children and the call returns only when all of them are done
// (or, on a failure, after the rest were cancelled). 3 s in all.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void worker(const std::string& name, double delay) {
  coreio::sleep(sec(delay));
  fmt::print("{} finished\n", name);
}

int main() {
  coreio::run(
      [] {
        coreio::task_group([](coreio::TaskGroup& tg) {
          tg.create_task([] { worker("Task 1", 2); });
          tg.create_task([] { worker("Task 2", 1); });
          tg.create_task([] { worker("Task 3", 3); });
        });
      },
      examples::shape());
}
