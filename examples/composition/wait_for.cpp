// Seed 004_51d90bd42b37662f.txt "asyncio", asyncio.timeout (注意事项), and seed
// 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §9 (Python 3.9:
// "更新了 asyncio.wait_for() 的取消行为")
//
// The seeds mention wait_for() as the older way to put a timeout on one
// awaitable, without a program. This is the asyncio documentation's:
//
//     async def eternity():
//         await asyncio.sleep(3600)
//         print('yay!')
//
//     async def main():
//         try:
//             await asyncio.wait_for(eternity(), timeout=1.0)
//         except TimeoutError:
//             print('timeout!')
//
// On timeout wait_for cancels what it waits for, waits until that has really
// ended, then raises TimeoutError. The second half shows a value that
// arrives in time.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void eternity() {
  try {
    coreio::sleep(sec(3600));
    fmt::print("yay!\n");
  } catch (const coreio::CancelledError&) {
    fmt::print("eternity was cancelled\n");
    throw;
  }
}

int main() {
  coreio::run(
      [] {
        try {
          coreio::wait_for(coreio::create_task(eternity), sec(1));
        } catch (const coreio::TimeoutError&) {
          fmt::print("timeout!\n");
        }

        auto quick = coreio::create_task([] {
          coreio::sleep(sec(0.5));
          return std::string("in time");
        });
        fmt::print("{}\n", coreio::wait_for(quick, sec(1)));
      },
      examples::shape());
}
