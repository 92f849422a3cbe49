// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）",
// §5.1.3 Condition (a condition over shared state)
//
//     pair = []  # 指示条件是否成立的共享对象
//
//     async def check(cond, someone):
//         await asyncio.sleep(0.1)  # 让等待条件变量的任务`invite()`先执行
//         global pair
//         if "single" in someone:
//             async with cond:  # 访问共享对象之前需要获取互斥对象
//                 pair.append(someone)
//                 if len(pair) is 2:  # 判断条件是否成立
//                     cond.notify_all()
//
//     async def invite(cond, someone):
//         print(f"{someone} waiting for the invitation.")
//         async with cond:
//             await cond.wait()
//             print(f"{someone} received the invitation.")
//
//     async def main(loop):
//         lovers = ["single_Zhang", "single_Wang"]
//         friends = ["Li", "Zhao", "Sun", "Qian"]
//         cond = asyncio.Condition()
//         _checks = map(partial(check, cond), lovers)
//         _invites = map(partial(invite, cond), friends)
//         await asyncio.wait(list(_checks) + list(_invites))
//
// The condition variable guards shared state (pair): it is only read and
// changed with the condition's lock held, and the change is announced with
// notify_all(). `len(pair) is 2` compares identities and only works by
// accident of CPython's small-int cache (3.8+ warns); this port compares
// values. With several loops the tasks run on several threads and the lock
// is what makes `pair` safe to share.
#include <mutex>
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/sync/condition.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::vector<std::string> pair; // guarded by the condition's lock

void check(coreio::Condition& cond, const std::string& someone) {
  coreio::sleep(sec(0.1)); // let invite() wait first
  if (someone.find("single") != std::string::npos) {
    std::lock_guard guard(cond); // hold the lock to touch the shared state
    pair.push_back(someone);
    if (pair.size() == 2) cond.notify_all();
  }
}

void invite(coreio::Condition& cond, const std::string& someone) {
  fmt::print("{} waiting for the invitation.\n", someone);
  std::unique_lock guard(cond);
  cond.wait();
  fmt::print("{} received the invitation.\n", someone);
}

int main() {
  coreio::run(
      [] {
        std::vector<std::string> lovers{"single_Zhang", "single_Wang"};
        std::vector<std::string> friends{"Li", "Zhao", "Sun", "Qian"};
        coreio::Condition cond;
        std::vector<coreio::Task<void>> tasks;
        for (const auto& who : lovers) tasks.push_back(coreio::create_task([&cond, who] { check(cond, who); }));
        for (const auto& who : friends) tasks.push_back(coreio::create_task([&cond, who] { invite(cond, who); }));
        coreio::wait(tasks);
      },
      examples::shape());
}
