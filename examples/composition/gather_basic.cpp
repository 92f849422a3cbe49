// Seed 004_51d90bd42b37662f.txt "asyncio", asyncio.gather / 基本用法 and 注意事项
//
//     async def foo(x):
//         await asyncio.sleep(x)
//         return f"foo: {x}"
//
//     async def bar(y):
//         await asyncio.sleep(y)
//         return f"bar: {y}"
//
//     async def main():
//         results = await asyncio.gather(foo(1), bar(2), foo(3))
//         print(results)
//
//     # 注意事项 3: the same with return_exceptions=True
//     results = await asyncio.gather(foo(1), bar(2), foo(3), return_exceptions=True)
//
// The total is the longest child (3 s), not the sum (6 s), and the results
// come back in argument order. With return_exceptions every child's outcome
// is a coreio::Result: a value, or the exception it raised (none here).
//
// Note 3 of the seed is wrong about gather without return_exceptions: the
// first exception propagates at once, but the other children are NOT
// cancelled; they keep running (see composition/gather_exception; TaskGroup
// is what cancels the rest).
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string foo(int x) {
  coreio::sleep(sec(x));
  return fmt::format("foo: {}", x);
}

std::string bar(int y) {
  coreio::sleep(sec(y));
  return fmt::format("bar: {}", y);
}

int main() {
  coreio::run(
      [] {
        auto [r1, r2, r3] = coreio::gather([] { return foo(1); }, [] { return bar(2); }, [] { return foo(3); });
        fmt::print("['{}', '{}', '{}']\n", r1, r2, r3);

        auto [o1, o2, o3] = coreio::gather(coreio::return_exceptions, [] { return foo(1); }, [] { return bar(2); },
                                           [] { return foo(3); });
        fmt::print("['{}', '{}', '{}']\n", o1.value(), o2.value(), o3.value());
      },
      examples::shape());
}
