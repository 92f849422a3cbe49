// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §4.2.2 asyncio.as_completed
//
//     async def main():
//         values = []
//         for f in asyncio.as_completed([say_hello(), say_world()], timeout=2):
//             ret = await f
//             values.append(ret)
//         return values
//
// as_completed hands the results over in completion order, not argument
// order, and raises TimeoutError for whatever is not done when the timeout
// passes (unlike wait(), which returns). The seed's say_hello/say_world
// never suspend; here they take 1.5 s and 0.5 s, and a third one (3 s)
// outlasts the 2 s timeout. coreio's as_completed yields each task once it
// is done, so `await f` is f.result(); the task that timed out is not
// cancelled by as_completed (coreio::run cancels it when main returns).
#include <functional>
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <fmt/core.h>
#include <fmt/ranges.h>

#include "common/shape.hpp"

using examples::sec;

std::string say_after(double delay, const char* what) {
  coreio::sleep(sec(delay));
  return what;
}

std::vector<std::string> main_task() {
  std::vector<std::string> values;
  std::vector<std::function<std::string()>> aws{[] { return say_after(1.5, "Hello"); },
                                                [] { return say_after(0.5, "World"); },
                                                [] { return say_after(3, "(too late)"); }};
  try {
    for (auto& f : coreio::as_completed(aws, {.timeout = sec(2)})) {
      std::string ret = f.result();
      fmt::print("got {}\n", ret);
      values.push_back(ret);
    }
  } catch (const coreio::TimeoutError&) {
    fmt::print("TimeoutError after {}\n", values.size());
  }
  return values;
}

int main() {
  auto values = coreio::run(main_task, examples::shape());
  fmt::print("{}\n", values);
}
