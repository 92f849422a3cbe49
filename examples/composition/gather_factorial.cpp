// Seed 001_aa66952d510d8274.txt "Python asyncio 模块详解", §3.4 asyncio.gather()
//
//     async def factorial(name, number):
//         f = 1
//         for i in range(2, number + 1):
//             print(f"Task {name}: 计算 factorial({i})...")
//             await asyncio.sleep(0.1) # 模拟耗时计算
//             f *= i
//         print(f"Task {name}: factorial({number}) = {f}")
//         return f
//
//     async def main():
//         print(f"开始于 {time.strftime('%X')}")
//         results = await asyncio.gather(
//             factorial("A", 2),
//             factorial("B", 3),
//             factorial("C", 4),
//         )
//         print(f"所有任务完成于 {time.strftime('%X')}")
//         print(f"结果: {results}")
//
// gather() runs the three as tasks, concurrently, and returns their results
// in argument order (a tuple, since the arguments could have different
// types), whatever order they finish in. About 0.3 s in all, not 0.6 s.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

long factorial(const std::string& name, int number) {
  long f = 1;
  for (int i = 2; i <= number; ++i) {
    fmt::print("Task {}: 计算 factorial({})...\n", name, i);
    coreio::sleep(sec(0.1)); // simulated computation time
    f *= i;
  }
  fmt::print("Task {}: factorial({}) = {}\n", name, number, f);
  return f;
}

int main() {
  coreio::run(
      [] {
        fmt::print("开始于 {}\n", examples::clock_hms());
        auto [a, b, c] = coreio::gather([] { return factorial("A", 2); }, [] { return factorial("B", 3); },
                                        [] { return factorial("C", 4); });
        fmt::print("所有任务完成于 {}\n", examples::clock_hms());
        fmt::print("结果: [{}, {}, {}]\n", a, b, c);
      },
      examples::shape());
}
