// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §3.2.3 Future 的使用场景
//
//     loop = asyncio.get_event_loop()
//
//     async def take_exam(fut):
//         await asyncio.sleep(1)
//         fut.set_result(100)
//         return 'Exam is completed.'
//
//     def check_score(fut):
//         score = fut.result()
//         if score >= 60:
//             print("Passed.")
//         else:
//             print("Failed.")
//
//     fut = asyncio.Future()
//     fut.add_done_callback(check_score)
//     task = asyncio.ensure_future(take_exam(fut))
//     retval = loop.run_until_complete(fut)
//
//     print(task.result())    # Exam is completed.
//     print(fut.result())     # 100
//     print(retval)           # 100
//
// The done callback runs on the future's loop once the result is set, before
// run_until_complete (whose own wake-up is a later done callback on the same
// loop) returns. One difference: asyncio's loop only runs inside
// run_until_complete, so when it returns the task has also finished its last
// step. coreio's loops run on their own threads, and the calling thread may
// wake while the task is still returning, so this port waits for the task
// with get() (which blocks a plain thread) instead of reading result().
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string take_exam(coreio::Future<int> fut) {
  coreio::sleep(sec(1)); // taking the exam
  fut.set_result(100);
  return "Exam is completed.";
}

void check_score(coreio::Future<int>& fut) {
  int score = fut.result();
  if (score >= 60)
    fmt::print("Passed.\n");
  else
    fmt::print("Failed.\n");
}

int main() {
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();

  auto fut = loop.create_future<int>();
  fut.add_done_callback(check_score);
  auto task = loop.create_task([fut] { return take_exam(fut); });
  int retval = loop.run_until_complete(fut);

  fmt::print("{}\n", task.get()); // Exam is completed.
  fmt::print("{}\n", fut.result()); // 100
  fmt::print("{}\n", retval);       // 100
}
