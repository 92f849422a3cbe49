// Seed 004_51d90bd42b37662f.txt "asyncio", asyncio.gather / 示例2:展示同时计算的细节
//
//     async def factorial(name, number):
//         """计算num的阶乘"""
//         f = 1   # 初始化阶乘结果为1
//         for i in range(2, number + 1):
//             print(f"任务 {name}: 计算({number})的阶乘, 当前 i={i}...")
//             await asyncio.sleep(1)
//             f *= i
//         print(f"任务 {name}: ({number})的阶乘 = {f}")
//         return f
//
//     async def main():
//         L = await asyncio.gather(
//             factorial("A", 2),
//             factorial("B", 3),
//             factorial("C", 4),
//         )
//         print(L)
//
// The printed order shows the three computations interleaving (the seed's
// "同时运行"): 3 s in all, where one after the other would take 6 s.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

long factorial(const std::string& name, int number) {
  long f = 1;
  for (int i = 2; i <= number; ++i) {
    fmt::print("任务 {}: 计算({})的阶乘, 当前 i={}...\n", name, number, i);
    coreio::sleep(sec(1)); // the wait a real computation might involve
    f *= i;
  }
  fmt::print("任务 {}: ({})的阶乘 = {}\n", name, number, f);
  return f;
}

int main() {
  coreio::run(
      [] {
        auto [a, b, c] = coreio::gather([] { return factorial("A", 2); }, [] { return factorial("B", 3); },
                                        [] { return factorial("C", 4); });
        fmt::print("[{}, {}, {}]\n", a, b, c);
      },
      examples::shape());
}
