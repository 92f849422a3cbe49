// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §6.2 周期性回调
//
//     class PeriodicTask:
//         """基于 call_later 实现周期性回调"""
//         def __init__(self, interval, func, *args, loop=None):
//             self.func = func
//             self.args = args
//             self.interval = interval
//             self._loop = loop or asyncio.get_event_loop()
//             self._counter = 0
//
//         def start(self):
//             self._counter += 1
//             print(f"The {self._counter} times execution, ", end='')
//             self.func(*self.args)
//             self._handler = self._loop.call_later(self.interval, self.start)
//
//         def stop(self):
//             self._handler.cancel()
//
//     def sumof(x, y, z):
//         print(f"sum is {x + y + z}")
//
//     loop = asyncio.get_event_loop()
//     task = PeriodicTask(1, sumof, 7, 8, 9)
//     task.start()
//     loop.run_forever()
//
// A periodic callback that re-arms itself with call_later and is stopped by
// cancelling the TimerHandle. Two adaptations:
//  - start() and stop() touch the handle and the counter, which the loop's
//    callbacks also touch. coreio's loops run on their own threads from the
//    start, so the first start() is scheduled with call_soon instead of being
//    called from main: every access then happens on the loop's one thread
//    (callbacks of one loop never run concurrently), no lock needed.
//  - the seed runs forever; this one stops the task and the loop after three
//    executions.
#include <functional>
#include <utility>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

class PeriodicTask {
public:
  PeriodicTask(std::chrono::nanoseconds interval, std::function<void()> func, coreio::Loop& loop)
      : func_(std::move(func)), interval_(interval), loop_(loop) {}

  /// Runs func now and again every interval. Call on the loop's thread.
  void start() {
    ++counter_;
    fmt::print("The {} times execution, ", counter_);
    func_();
    handler_ = loop_.call_later(interval_, [this] { start(); });
  }

  /// Cancels the next execution. Call on the loop's thread.
  void stop() { handler_.cancel(); }

private:
  std::function<void()> func_;
  std::chrono::nanoseconds interval_;
  coreio::Loop& loop_;
  int counter_ = 0;
  coreio::TimerHandle handler_;
};

void sumof(int x, int y, int z) { fmt::print("sum is {}\n", x + y + z); }

int main() {
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();
  PeriodicTask task(sec(1), [] { sumof(7, 8, 9); }, loop);
  loop.call_soon([&task] { task.start(); });
  loop.call_later(sec(2.5), [&] {
    task.stop();
    loop.stop();
  });
  loop.run_forever();
}
