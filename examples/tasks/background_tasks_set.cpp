// Seed 004_51d90bd42b37662f.txt "asyncio", asyncio.create_task() / 使用set管理任务
//
//     async def some_coro(param):
//         await asyncio.sleep(3)  # 模拟异步操作
//         print(f"Task with param {param} completed")
//
//     async def main():
//         background_tasks = set()
//         for i in range(10):
//             task = asyncio.create_task(some_coro(param=i))
//             # 将任务添加到集合中。这会创建一个强引用。
//             background_tasks.add(task)
//             # 在任务完成后，这个回调函数会从 background_tasks 集合中删除任务
//             task.add_done_callback(background_tasks.discard)
//         await asyncio.gather(*background_tasks)
//
// The set keeps the tasks referenced until they finish; each task's done
// callback takes it out. Two C++ differences:
//  - Tasks are not hashable; the set is keyed by the task's id.
//  - A done callback runs on the loop where it was added, while main may by
//    then run on another loop (work stealing moves tasks, not callbacks), so
//    the set is shared between threads and needs a mutex. In asyncio
//    everything runs on one thread and the set needs none. For the same
//    reason a discard callback may still be queued on its loop when gather
//    returns, so the set is owned by a shared_ptr the callbacks hold, not by
//    main's stack frame.
// (coreio's runtime keeps every task alive until it is done anyway; the set
// is how a program finds its background tasks again, e.g. to cancel them.)
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void some_coro(int param) {
  coreio::sleep(sec(3)); // simulated asynchronous work
  fmt::print("Task with param {} completed\n", param);
}

/// A set of tasks that done callbacks on any loop may discard from.
class TaskSet {
public:
  void add(const coreio::Task<void>& task) {
    std::lock_guard guard(mutex_);
    tasks_.emplace(task.handle().id(), task);
  }
  void discard(std::uint64_t id) {
    std::lock_guard guard(mutex_);
    tasks_.erase(id);
  }
  std::vector<coreio::Task<void>> snapshot() const {
    std::lock_guard guard(mutex_);
    std::vector<coreio::Task<void>> out;
    for (const auto& [id, task] : tasks_) out.push_back(task);
    return out;
  }

private:
  mutable std::mutex mutex_; // held briefly, never across a suspension point
  std::unordered_map<std::uint64_t, coreio::Task<void>> tasks_;
};

int main() {
  coreio::run(
      [] {
        auto background_tasks = std::make_shared<TaskSet>();
        for (int i = 0; i < 10; ++i) {
          auto task = coreio::create_task([i] { some_coro(i); });
          background_tasks->add(task); // a strong reference
          // When the task is done, take it out of the set again.
          task.add_done_callback(
              [background_tasks, id = task.handle().id()](coreio::Future<void>&) { background_tasks->discard(id); });
        }
        coreio::gather(background_tasks->snapshot()); // wait for all of them
      },
      examples::shape());
}
