// Seed 001_aa66952d510d8274.txt "Python asyncio 模块详解", §4.1 同步原语
//
//     lock = asyncio.Lock()
//     shared_resource = 0
//
//     async def worker(worker_id):
//         global shared_resource
//         print(f"Worker {worker_id} 尝试获取锁")
//         async with lock: # 自动获取和释放锁
//             print(f"Worker {worker_id} 已获取锁")
//             current_val = shared_resource
//             await asyncio.sleep(0.1) # 模拟一些工作
//             shared_resource = current_val + 1
//             print(f"Worker {worker_id} 释放锁, shared_resource = {shared_resource}")
//
//     async def main():
//         await asyncio.gather(*(worker(i) for i in range(5)))
//         print(f"最终 shared_resource = {shared_resource}")
//
// The read-modify-write spans a suspension point, so without the lock the
// workers would all read 0 and the result would be 1. `async with lock` is
// std::lock_guard over coreio::Lock, which suspends the task (not the thread)
// while another task holds it. With several loops the workers run on several
// threads: the Lock then also orders their memory accesses, so a plain int
// is safe under it.
#include <mutex>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/sync/lock.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

coreio::Lock lock;
int shared_resource = 0;

void worker(int worker_id) {
  fmt::print("Worker {} 尝试获取锁\n", worker_id);
  std::lock_guard guard(lock); // acquired here, released at the end of the scope
  fmt::print("Worker {} 已获取锁\n", worker_id);
  int current_val = shared_resource;
  coreio::sleep(sec(0.1)); // some work
  shared_resource = current_val + 1;
  fmt::print("Worker {} 释放锁, shared_resource = {}\n", worker_id, shared_resource);
}

int main() {
  coreio::run(
      [] {
        std::vector<coreio::Task<void>> workers;
        for (int i = 0; i < 5; ++i) workers.push_back(coreio::create_task([i] { worker(i); }));
        coreio::gather(workers);
        fmt::print("最终 shared_resource = {}\n", shared_resource);
      },
      examples::shape());
}
