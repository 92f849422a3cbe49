// Seed 004_51d90bd42b37662f.txt "asyncio", .result() 和 await的区别 / await示例代码
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
//         result1 = await t1
//         result2 = await t2
//         print(f"Task 1 result: {result1}")
//         print(f"Task 2 result: {result2}")
//
// The same program awaiting the tasks after the group: get() returns at once,
// since the group already waited for them. Same output as taskgroup_result.
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
        std::string result1 = t1.get(); // already done: no wait
        std::string result2 = t2.get();
        fmt::print("Task 1 result: {}\n", result1);
        fmt::print("Task 2 result: {}\n", result2);
      },
      examples::shape());
}
