// Seed 000_101465e587657cb0.txt "asyncio 模块", §4 新增的异常分组
//
//     async def raise_exception():
//         raise ValueError("An error occurred")
//
//     async def main():
//         try:
//             await asyncio.gather(raise_exception(), raise_exception())
//         except Exception as e:
//             print(f"Caught exception: {e}")
//
// The program is right, the text around it is not: gather() does not group
// exceptions. It raises the first child failure as it is and leaves the other
// children running (their later failures are marked retrieved, so nothing is
// logged). Collecting every failure into an ExceptionGroup is what TaskGroup
// (Python 3.11) does; the second half shows that, which is what the section
// title promises. (ExceptionGroup also arrived in 3.11, not 3.10.) On one
// loop both children run before the group reacts, as in asyncio: two
// exceptions. With several loops the first failure may cancel the second
// child before it starts (TaskGroup cancels the rest on the first failure),
// and the group then holds one.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

void raise_exception() { throw coreio::ValueError("An error occurred"); }

int main() {
  coreio::run(
      [] {
        try {
          coreio::gather(raise_exception, raise_exception);
        } catch (const std::exception& e) {
          fmt::print("Caught exception: {}\n", e.what());
        }

        try {
          coreio::task_group([](coreio::TaskGroup& tg) {
            tg.create_task(raise_exception);
            tg.create_task(raise_exception);
          });
        } catch (const coreio::ExceptionGroup& group) {
          fmt::print("Caught ExceptionGroup: {} ({} exceptions)\n", group.what(), group.exceptions().size());
          for (const auto& e : group.leaves_of<coreio::ValueError>()) {
            try {
              std::rethrow_exception(e);
            } catch (const coreio::ValueError& v) {
              fmt::print("  ValueError: {}\n", v.what());
            }
          }
        }
      },
      examples::shape());
}
