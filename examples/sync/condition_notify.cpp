// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §5.1.3 Condition (notify)
//
//     async def task_should_wait(cond, n):
//         async with cond:
//             print(f"Task-{n} is waiting. [BLOCKING]")
//             await cond.wait()
//             print(f"Task-{n} received the notice. [RUNING]")
//             print(f"Task-{n} finished. [END]")
//
//     async def notify_the_tasks(cond):
//         await asyncio.sleep(0.1)    # Let 'task_should_wait()' start first.
//         for i in range(1, 3):
//             async with cond:
//                 print(f'{i} tasks will be notified')
//                 await asyncio.sleep(0.1)
//                 cond.notify(i)
//         async with cond:
//             print('Remaining tasks will be notified')
//             cond.notify_all()
//
//     async def main(loop):
//         cond = asyncio.Condition()
//         tasks = [task_should_wait(cond, i) for i in range(5)]
//         loop.create_task(notify_the_tasks(cond))
//         await asyncio.wait(tasks)
//
// notify(n) wakes n waiters, notify_all() the rest; each woken task must get
// the condition's lock back before it continues, so the notifier's own next
// `async with cond` competes with them for it (FIFO). Condition is
// BasicLockable: std::unique_lock is `async with cond`. asyncio.wait() of
// coroutines is an error since Python 3.11, so the waiters are tasks.
#include <mutex>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/sync/condition.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void task_should_wait(coreio::Condition& cond, int n) {
  std::unique_lock guard(cond);
  fmt::print("Task-{} is waiting. [BLOCKING]\n", n);
  cond.wait();
  fmt::print("Task-{} received the notice. [RUNING]\n", n);
  fmt::print("Task-{} finished. [END]\n", n);
}

void notify_the_tasks(coreio::Condition& cond) {
  coreio::sleep(sec(0.1)); // let task_should_wait() start first
  for (int i = 1; i < 3; ++i) {
    std::unique_lock guard(cond);
    fmt::print("{} tasks will be notified\n", i);
    coreio::sleep(sec(0.1));
    cond.notify(i);
  }
  std::unique_lock guard(cond);
  fmt::print("Remaining tasks will be notified\n");
  cond.notify_all();
}

void main_task(coreio::Loop& loop) {
  coreio::Condition cond;
  std::vector<coreio::Task<void>> tasks;
  for (int i = 0; i < 5; ++i) tasks.push_back(coreio::create_task([&cond, i] { task_should_wait(cond, i); }));
  auto notifier = loop.create_task([&cond] { notify_the_tasks(cond); });
  coreio::wait(tasks);
  notifier.get();
}

int main() {
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();
  loop.run_until_complete(loop.create_task([&loop] { main_task(loop); }));
}
