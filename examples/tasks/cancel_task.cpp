// Seed 000_101465e587657cb0.txt "asyncio 模块", §2.2 更简单的任务取消机制
//
//     async def my_task():
//         try:
//             await asyncio.sleep(5)
//         except asyncio.CancelledError:
//             print("Task was cancelled")
//
//     async def main():
//         task = asyncio.create_task(my_task())
//         await asyncio.sleep(1)
//         task.cancel()
//         await task  # 捕获取消异常
//
// cancel() raises CancelledError inside the task at its suspension point (the
// sleep), after 1 s rather than 5. my_task catches it and does not re-raise,
// so the task ends normally and `await task` returns without raising (the
// seed's comment is misleading): the extra last line shows it.
// coreio::CancelledError is not a std::exception, as Python's CancelledError
// is not an Exception, so it must be caught by name.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void my_task() {
  try {
    coreio::sleep(sec(5));
  } catch (const coreio::CancelledError&) {
    fmt::print("Task was cancelled\n");
  }
}

int main() {
  coreio::run(
      [] {
        auto task = coreio::create_task(my_task);
        coreio::sleep(sec(1));
        task.cancel();
        task.get(); // returns: my_task swallowed the cancellation
        fmt::print("task.cancelled() = {}\n", task.cancelled());
      },
      examples::shape());
}
