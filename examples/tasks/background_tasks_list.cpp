// Seed 004_51d90bd42b37662f.txt "asyncio", asyncio.create_task() / 拓展:使用list管理任务
//
//     async def main():
//         tasks = []
//         for i in range(10):
//             task = asyncio.create_task(some_coro(param=i))
//             tasks.append(task)
//             # 添加回调函数，任务完成后从列表中移除
//             task.add_done_callback(tasks.remove)
//         await asyncio.gather(*tasks)
//
// The list version of tasks/background_tasks_set: a std::vector of tasks that
// each task's done callback removes it from (by id: a Task compares by
// identity, but a callback gets the finished future, so the id is captured).
// As there, the list is shared with callbacks that may run on another loop
// after gather returns, so it is a shared_ptr behind a mutex.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void some_coro(int param) {
  coreio::sleep(sec(3));
  fmt::print("Task with param {} completed\n", param);
}

struct TaskList {
  std::mutex mutex; // held briefly, never across a suspension point
  std::vector<coreio::Task<void>> tasks;

  void remove(std::uint64_t id) {
    std::lock_guard guard(mutex);
    std::erase_if(tasks, [id](const coreio::Task<void>& t) { return t.handle().id() == id; });
  }
};

int main() {
  coreio::run(
      [] {
        auto list = std::make_shared<TaskList>();
        for (int i = 0; i < 10; ++i) {
          auto task = coreio::create_task([i] { some_coro(i); });
          std::lock_guard guard(list->mutex);
          list->tasks.push_back(task);
          task.add_done_callback([list, id = task.handle().id()](coreio::Future<void>&) { list->remove(id); });
        }
        std::vector<coreio::Task<void>> snapshot;
        {
          std::lock_guard guard(list->mutex);
          snapshot = list->tasks;
        }
        coreio::gather(snapshot);
      },
      examples::shape());
}
