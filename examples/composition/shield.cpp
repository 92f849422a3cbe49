// Seed 004_51d90bd42b37662f.txt "asyncio", asyncio.gather / 注意事项 4 (取消任务)
// and asyncio.timeout / 注意事项: cancellation reaches what a task awaits.
//
// The seeds warn that cancelling (by hand, by gather, by a timeout) cancels
// the awaited work too, and that it must be safe to cancel; they do not
// show the tool for work that must not be interrupted. asyncio.shield(aw)
// is that tool: the caller can stop waiting (here: wait_for times out, which
// cancels the caller's await) while the shielded task carries on.
//
//     task = asyncio.create_task(save(record))
//     try:
//         await asyncio.wait_for(asyncio.shield(task), timeout=1)
//     except TimeoutError:
//         print("gave up waiting; the save goes on")
//     print(await task)
//
// The second half is the same wait without the shield: the save is cancelled.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string save(const std::string& record) {
  try {
    coreio::sleep(sec(2)); // writing to a slow database
    fmt::print("saved {}\n", record);
    return "committed";
  } catch (const coreio::CancelledError&) {
    fmt::print("saving {} was cancelled\n", record);
    throw;
  }
}

int main() {
  coreio::run(
      [] {
        auto task = coreio::create_task([] { return save("order 42"); });
        try {
          coreio::wait_for(coreio::shield(task), sec(1));
        } catch (const coreio::TimeoutError&) {
          fmt::print("gave up waiting for order 42; the save goes on\n");
        }
        fmt::print("order 42: {}\n", task.get());

        auto unshielded = coreio::create_task([] { return save("order 43"); });
        try {
          coreio::wait_for(unshielded, sec(1));
        } catch (const coreio::TimeoutError&) {
          fmt::print("gave up waiting for order 43\n");
        }
        fmt::print("order 43 cancelled: {}\n", unshielded.cancelled());
      },
      examples::shape());
}
