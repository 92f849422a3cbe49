// Seed 004_51d90bd42b37662f.txt "asyncio", asyncio.gather / 示例：处理异常
//
//     async def faulty_task():
//         await asyncio.sleep(1)
//         raise ValueError("An error occurred")
//
//     async def main():
//         try:
//             results = await asyncio.gather(
//                 foo(1), faulty_task(), bar(2),
//                 return_exceptions=True
//             )
//             print(results, type(results))
//             for result in results:
//                 if isinstance(result, Exception):
//                     print(f"Task raised an exception: {result}")
//                 else:
//                     print(f"Task result: {result}")
//         except Exception as e:
//             print(f"Exception: {e}")
//
// With return_exceptions the failure is one of the results instead of being
// raised. In C++ a list cannot mix strings and exceptions, so each element is
// a coreio::Result<std::string>: a value or an exception. The range form of
// gather takes a vector (of callables here) and returns a vector, the
// closest thing to Python's list; the first line mimics Python's repr.
#include <functional>
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <fmt/core.h>
#include <fmt/ranges.h>

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

std::string faulty_task() {
  coreio::sleep(sec(1));
  throw coreio::ValueError("An error occurred");
}

std::string repr(const coreio::Result<std::string>& r) {
  if (r) return fmt::format("'{}'", r.value());
  if (const auto* e = r.get_if<coreio::ValueError>()) return fmt::format("ValueError('{}')", e->what());
  return "<exception>";
}

int main() {
  coreio::run(
      [] {
        try {
          std::vector<std::function<std::string()>> aws{[] { return foo(1); }, faulty_task, [] { return bar(2); }};
          std::vector<coreio::Result<std::string>> results = coreio::gather(coreio::return_exceptions, aws);

          std::vector<std::string> items;
          for (const auto& r : results) items.push_back(repr(r));
          fmt::print("[{}] std::vector<coreio::Result<std::string>>\n", fmt::join(items, ", "));

          for (const auto& result : results) {
            if (std::exception_ptr e = result.exception()) {
              try {
                std::rethrow_exception(e);
              } catch (const std::exception& ex) {
                fmt::print("Task raised an exception: {}\n", ex.what());
              }
            } else {
              fmt::print("Task result: {}\n", result.value());
            }
          }
        } catch (const std::exception& e) {
          fmt::print("Exception: {}\n", e.what());
        }
      },
      examples::shape());
}
