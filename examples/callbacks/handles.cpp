// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §6.3.2 回调处理器
//
//     def my_callback(name):
//         print(f"Hello, {name}!")
//
//     loop = asyncio.get_event_loop()
//     handle = loop.call_soon(my_callback, "Alice")
//     print(f"Cancelled: {handle.cancelled()}")
//     handle.cancel()
//     timer_handle = loop.call_later(5, my_callback, "Bob")
//     print(f"Scheduled at: {timer_handle.when()}")
//     timer_handle.cancel()
//     loop.run_until_complete(asyncio.sleep(0.1))
//     loop.close()
//
// call_soon returns a Handle, call_later/call_at a TimerHandle (a Handle with
// when(), on the loop's clock). Both callbacks are cancelled before they can
// run, so neither greeting is printed.
//
// In asyncio nothing runs until run_until_complete, so cancelling right after
// call_soon is always in time. coreio's loops run on their own threads from
// the start: a call_soon from the main thread could run before the next line
// cancels it. So this port does the scheduling inside a task pinned to the
// loop (loop.create_task): the loop runs its callbacks only when that task
// suspends, which it does after both cancels. The last lines check that
// neither callback ran.
#include <chrono>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void my_callback(const char* name) { fmt::print("Hello, {}!\n", name); }

double seconds(coreio::Loop::time_point t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

int main() {
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();
  loop.run_until_complete(loop.create_task([&loop] {
    coreio::Handle handle = loop.call_soon([] { my_callback("Alice"); });
    fmt::print("Cancelled: {}\n", handle.cancelled());
    handle.cancel();

    coreio::TimerHandle timer_handle = loop.call_later(sec(5), [] { my_callback("Bob"); });
    fmt::print("Scheduled at: {:.6f}\n", seconds(timer_handle.when()));
    fmt::print("(loop.time() is {:.6f})\n", seconds(loop.time()));
    timer_handle.cancel();

    coreio::sleep(sec(0.1)); // the loop runs its callbacks: none are left
    fmt::print("Cancelled: {} {}\n", handle.cancelled(), timer_handle.cancelled());
  }));
  runner.close(); // loop.close()
}
