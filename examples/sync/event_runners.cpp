// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §5.1.2 Event
//
//     async def runner_one(start_signal):
//         print("runner 1: I'm ready")
//         await start_signal.wait()
//         print("runner 1: running", time.time())
//         await asyncio.sleep(2)
//         print("runner 1 arrived", time.time())
//
//     async def runner_two(start_signal):   # the same, sleeping 3 s
//
//     async def main(loop):
//         start_signal = asyncio.Event()
//         loop.call_later(0.2, functools.partial(start_race, start_signal))
//         await asyncio.wait([runner_one(start_signal), runner_two(start_signal)])
//
//     def start_race(start_signal):
//         print("start!")
//         start_signal.set()
//
// One set() releases every task waiting on the Event. asyncio.wait() no
// longer takes coroutines (Python 3.11+), so the runners are tasks here, as
// they must be in asyncio too; a lambda capture replaces functools.partial.
#include <chrono>

#include <coreio/coreio.hpp>
#include <coreio/sync/event.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

double now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

void runner(int n, double seconds, coreio::Event& start_signal) {
  fmt::print("runner {}: I'm ready\n", n);
  start_signal.wait();
  fmt::print("runner {}: running {:.6f}\n", n, now());
  coreio::sleep(sec(seconds));
  fmt::print("runner {} arrived {:.6f}\n", n, now());
}

void start_race(coreio::Event& start_signal) {
  fmt::print("start!\n");
  start_signal.set();
}

void main_task(coreio::Loop& loop) {
  coreio::Event start_signal;
  loop.call_later(sec(0.2), [&start_signal] { start_race(start_signal); });
  auto one = coreio::create_task([&] { runner(1, 2, start_signal); });
  auto two = coreio::create_task([&] { runner(2, 3, start_signal); });
  coreio::wait({one, two});
}

int main() {
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();
  loop.run_until_complete(loop.create_task([&loop] { main_task(loop); }));
}
