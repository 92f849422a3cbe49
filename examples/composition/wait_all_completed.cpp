// Seed 001_aa66952d510d8274.txt "Python asyncio 模块详解", §3.5 asyncio.wait()
//
//     async def my_coro(delay, name):
//         await asyncio.sleep(delay)
//         print(f"{name} 完成")
//         return f"{name} result"
//
//     async def main():
//         coros = [my_coro(1, "Task 1"), my_coro(3, "Task 2"), my_coro(0.5, "Task 3")]
//         tasks = [asyncio.create_task(coro) for coro in coros]
//         done, pending = await asyncio.wait(tasks)       # ALL_COMPLETED
//         print("所有任务完成:")
//         for task in done:
//             print(f" - {task.result()}")
//
//         # tasks = [asyncio.create_task(coro) for coro in coros] # 重新创建，因为之前的已完成
//         # done_first, pending_first = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
//         # print("\n第一个完成的任务:")
//         # for task in done_first:
//         #     print(f" - {task.result()}")
//         # for task in pending_first: # 取消未完成的任务
//         #     task.cancel()
//
// wait() returns the (done, pending) split and never raises for the
// children: their results or exceptions are read from the tasks. The seed's
// commented second half cannot run as written (a coroutine object can only
// be awaited once, so the tasks must be made from new coroutines); this port
// runs it with fresh tasks. Python's sets have no order; coreio returns done
// and pending in input order.
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string my_coro(double delay, const std::string& name) {
  coreio::sleep(sec(delay));
  fmt::print("{} 完成\n", name);
  return name + " result";
}

std::vector<coreio::Task<std::string>> make_tasks() {
  std::vector<coreio::Task<std::string>> tasks;
  tasks.push_back(coreio::create_task([] { return my_coro(1, "Task 1"); }));
  tasks.push_back(coreio::create_task([] { return my_coro(3, "Task 2"); }));
  tasks.push_back(coreio::create_task([] { return my_coro(0.5, "Task 3"); }));
  return tasks;
}

int main() {
  coreio::run(
      [] {
        // Wait for all of them.
        auto [done, pending] = coreio::wait(make_tasks());
        fmt::print("所有任务完成:\n");
        for (auto& task : done) fmt::print(" - {}\n", task.result());

        // Wait for the first one, then cancel the rest.
        auto [done_first, pending_first] = coreio::wait(make_tasks(), {.return_when = coreio::FIRST_COMPLETED});
        fmt::print("\n第一个完成的任务:\n");
        for (auto& task : done_first) fmt::print(" - {}\n", task.result());
        for (auto& task : pending_first) task.cancel();
        fmt::print("{} pending tasks cancelled\n", pending_first.size());
      },
      examples::shape());
}
