// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §5.1.1 Lock
//
//     async def coro1(lock):
//         print("coro1 start")
//         async with lock:
//             print("coro1 acquired lock")
//             await asyncio.sleep(1)
//         print("coro1 end")
//
//     async def coro2(lock):
//         print("coro2 start")
//         await lock.acquire()
//         print("coro2 acquired lock")
//         await asyncio.sleep(1)
//         lock.release()
//         print("coro2 end")
//
//     lock = asyncio.Lock()
//     loop = asyncio.get_event_loop()
//     loop.run_until_complete(asyncio.gather(coro1(lock), coro2(lock)))
//
// Both forms: a scoped guard (`async with lock`) and explicit
// acquire()/release(). Waiters get the lock in FIFO order. gather() is a
// call that suspends a task, so run_until_complete runs it inside one.
#include <mutex>

#include <coreio/coreio.hpp>
#include <coreio/sync/lock.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void coro1(coreio::Lock& lock) {
  fmt::print("coro1 start\n");
  {
    std::lock_guard guard(lock);
    fmt::print("coro1 acquired lock\n");
    coreio::sleep(sec(1));
  }
  fmt::print("coro1 end\n");
}

void coro2(coreio::Lock& lock) {
  fmt::print("coro2 start\n");
  lock.acquire();
  fmt::print("coro2 acquired lock\n");
  coreio::sleep(sec(1));
  lock.release();
  fmt::print("coro2 end\n");
}

int main() {
  coreio::Lock lock;
  coreio::Runner runner(examples::shape());
  coreio::Loop& loop = runner.get_loop();
  loop.run_until_complete(loop.create_task([&lock] { coreio::gather([&] { coro1(lock); }, [&] { coro2(lock); }); }));
}
