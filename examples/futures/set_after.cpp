// Seed 001_aa66952d510d8274.txt "Python asyncio 模块详解", §3.6 Futures
//
//     async def set_after(fut, delay, value):
//         await asyncio.sleep(delay)
//         fut.set_result(value) # 设置 Future 的结果
//
//     async def main():
//         loop = asyncio.get_running_loop() # Python 3.7+
//         fut = loop.create_future() # 创建一个 Future 对象
//         asyncio.create_task(set_after(fut, 1, '... Future 结果 ...'))
//         print('等待 Future...')
//         result = await fut # 等待 Future 完成并获取结果
//         print(result)
//
// A Future is a result slot shared by its copies: the task that sets it and
// main, which waits on it with get(). With several loops they may run on two
// threads; Future is thread-safe, and main is woken on its own loop.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void set_after(coreio::Future<std::string> fut, double delay, std::string value) {
  coreio::sleep(sec(delay));
  fut.set_result(std::move(value));
}

int main() {
  coreio::run(
      [] {
        coreio::Loop& loop = coreio::get_running_loop();
        auto fut = loop.create_future<std::string>();
        coreio::create_task([fut] { set_after(fut, 1, "... Future 结果 ..."); });
        fmt::print("等待 Future...\n");
        std::string result = fut.get();
        fmt::print("{}\n", result);
      },
      examples::shape());
}
