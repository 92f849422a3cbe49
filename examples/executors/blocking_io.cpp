// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §7.2 结合多线程使用
//
//     def blocking_io():
//         print("start blocking I/O")
//         time.sleep(1)
//         print("end blocking I/O")
//
//     async def main():
//         loop = asyncio.get_running_loop()
//         # 在默认的线程池中运行阻塞I/O函数
//         await loop.run_in_executor(None, blocking_io)
//         print("main continues")
//
// The seed adds that a custom pool can be passed instead of None; the second
// half does that with a ThreadPoolExecutor of two threads running three calls
// (so the third waits for a free thread: 2 s, not 1 s). Like Python's
// `with ThreadPoolExecutor() as pool:`, the executor's destructor shuts it
// down and waits for its threads.
#include <chrono>
#include <thread>
#include <vector>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void blocking_io() {
  fmt::print("start blocking I/O\n");
  std::this_thread::sleep_for(sec(1));
  fmt::print("end blocking I/O\n");
}

int main() {
  coreio::run(
      [] {
        coreio::Loop& loop = coreio::get_running_loop();
        // In the default thread pool.
        loop.run_in_executor(nullptr, blocking_io).get();
        fmt::print("main continues\n");

        // In a pool of our own.
        coreio::ThreadPoolExecutor pool(2);
        std::vector<coreio::Future<void>> calls;
        for (int i = 0; i < 3; ++i) calls.push_back(loop.run_in_executor(&pool, blocking_io));
        coreio::gather(calls);
        fmt::print("main continues after three calls on two threads\n");
      },
      examples::shape());
}
