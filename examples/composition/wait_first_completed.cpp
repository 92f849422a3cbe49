// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §4.2.1 asyncio.wait
//
//     done, pending = await asyncio.wait([say_hello(), say_world()], timeout=1.5,
//                                        return_when=asyncio.FIRST_COMPLETED)
//
// The seed's say_hello/say_world (§1.2) never suspend, so both would be done
// at once and the timeout would not matter. To show what the parameters do,
// here they take 1 s and 2 s: wait() returns when the first is done, with the
// other in `pending`. The text's point about timeouts is shown too: a wait
// that times out raises nothing and cancels nothing, the unfinished tasks are
// simply still pending. (asyncio.wait() takes tasks since Python 3.11, not
// coroutines.)
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string say_hello() {
  coreio::sleep(sec(1));
  return "Hello";
}

std::string say_world() {
  coreio::sleep(sec(2));
  return "World";
}

int main() {
  coreio::run(
      [] {
        std::vector<coreio::Task<std::string>> tasks{coreio::create_task(say_hello), coreio::create_task(say_world)};
        auto [done, pending] = coreio::wait(tasks, {.timeout = sec(1.5), .return_when = coreio::FIRST_COMPLETED});
        fmt::print("done: {}, first result: {}, pending: {}\n", done.size(), done.front().result(), pending.size());

        auto [done2, pending2] = coreio::wait(pending, {.timeout = sec(0.1)});
        fmt::print("after a 0.1 s timeout: done {}, pending {}, cancelled: {}\n", done2.size(), pending2.size(),
                   pending2.front().cancelled());

        auto [done3, pending3] = coreio::wait(pending2);
        fmt::print("then: {}\n", done3.front().result());
      },
      examples::shape());
}
