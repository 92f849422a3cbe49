// Seed 004_51d90bd42b37662f.txt "asyncio", .result() 和 await的区别 / .result()示例代码
//
//     async def task1():
//         print("Task 1 started")
//         await asyncio.sleep(2)
//         print("Task 1 completed")
//         return "Result from task 1"
//
//     async def task2():   # the same with 1 s and "2"
//
//     async def main():
//         async with asyncio.TaskGroup() as tg:
//             t1 = tg.create_task(task1())
//             t2 = tg.create_task(task2())
//         # 在 TaskGroup 结束后，我们可以获取任务的结果
//         print(f"Task 1 result: {t1.result()}")
//         print(f"Task 2 result: {t2.result()}")
//
// Once the group's scope has ended every child is done, so result(), which
// never waits, is enough (the seed's conclusion). The tasks are declared
// outside the scope to be used after it, as Python's t1/t2 are.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string task1() {
  fmt::print("Task 1 started\n");
  coreio::sleep(sec(2));
  fmt::print("Task 1 completed\n");
  return "Result from task 1";
}

std::string task2() {
  fmt::print("Task 2 started\n");
  coreio::sleep(sec(1));
  fmt::print("Task 2 completed\n");
  return "Result from task 2";
}

int main() {
  coreio::run(
      [] {
        coreio::Task<std::string> t1, t2;
        coreio::task_group([&](coreio::TaskGroup& tg) {
          t1 = tg.create_task(task1);
          t2 = tg.create_task(task2);
        });
        // After the group every task is done: result() does not wait.
        fmt::print("Task 1 result: {}\n", t1.result());
        fmt::print("Task 2 result: {}\n", t2.result());
      },
      examples::shape());
}
