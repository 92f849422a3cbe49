// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §5.1.4 Semaphore
//
//     async def worker(name, sema):
//         async with sema:
//             print(f"worker {name} acquired the semaphore")
//             await asyncio.sleep(random.randint(1,5))
//             print(f"worker {name} releasing semaphore")
//
//     async def main(loop):
//         sema = asyncio.Semaphore(value=3, loop=loop)
//         await asyncio.wait([worker(name, sema) for name in "abcde"])
//
// At most three workers hold the semaphore at once; d and e wait for a
// release. Python 3.10 removed the loop= argument (TypeError) and 3.11
// forbids coroutines in asyncio.wait(); this port drops the one and makes
// tasks for the other. random.randint is a mutex-guarded engine
// (common/random.hpp) because the workers may run on several threads.
#include <mutex>
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/sync/semaphore.hpp>
#include <fmt/core.h>

#include "common/random.hpp"
#include "common/shape.hpp"

using examples::sec;

void worker(char name, coreio::Semaphore& sema) {
  std::lock_guard guard(sema);
  fmt::print("worker {} acquired the semaphore\n", name);
  coreio::sleep(sec(examples::randint(1, 5)));
  fmt::print("worker {} releasing semaphore\n", name);
}

int main() {
  coreio::run(
      [] {
        coreio::Semaphore sema(3);
        std::vector<coreio::Task<void>> workers;
        for (char name : std::string("abcde"))
          workers.push_back(coreio::create_task([name, &sema] { worker(name, sema); }));
        coreio::wait(workers);
      },
      examples::shape());
}
