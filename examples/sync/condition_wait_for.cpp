// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）",
// §5.1.3 Condition (wait_for with a predicate)
//
//     pair = []
//
//     def paired():
//         """条件是否成立的判断函数"""
//         return len(pair) is 2
//
//     async def check(cond, someone):
//         await asyncio.sleep(0.1)
//         global pair
//         if "single" in someone:
//             async with cond:
//                 pair.append(someone)
//                 cond.notify_all()  # 通过'notify_all()'触发对'paired()'的调用
//
//     async def invite(cond, someone):
//         print(f"{someone} waiting for the invitation.")
//         async with cond:
//             if await cond.wait_for(paired):
//                 print(f"{someone} received the invitation.")
//
// The same party as condition_party, with the test moved into a predicate:
// every change is announced, and wait_for(paired) re-checks it (with the
// lock held) each time it is woken, returning once it holds. After the first
// check the friends wake, see one person in `pair`, and wait again.
// (`len(pair) is 2` compares identities; this port compares values.)
#include <mutex>
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/sync/condition.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::vector<std::string> pair; // guarded by the condition's lock

bool paired() { return pair.size() == 2; }

void check(coreio::Condition& cond, const std::string& someone) {
  coreio::sleep(sec(0.1));
  if (someone.find("single") != std::string::npos) {
    std::lock_guard guard(cond);
    pair.push_back(someone);
    cond.notify_all(); // every waiter re-evaluates paired()
  }
}

void invite(coreio::Condition& cond, const std::string& someone) {
  fmt::print("{} waiting for the invitation.\n", someone);
  std::unique_lock guard(cond);
  if (cond.wait_for(paired)) fmt::print("{} received the invitation.\n", someone);
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
