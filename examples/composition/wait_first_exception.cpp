// Seeds 001_aa66952d510d8274.txt "Python asyncio 模块详解", §3.5 asyncio.wait(),
// and 004_51d90bd42b37662f.txt "asyncio", asyncio.wait (参数 / return_when)
//
// Both seeds describe return_when=FIRST_EXCEPTION without a program:
//   asyncio.FIRST_EXCEPTION: 当任何一个可等待对象引发异常时返回。
//   如果没有异常，则行为类似 ALL_COMPLETED。
// and seed 004 warns that wait() does not cancel the tasks still pending:
// cancel them yourself or the program waits for them at exit.
// This program shows both cases: a failure ends the wait early (with the
// tasks done by then in `done`), and without failures the wait lasts until
// every task is done.
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string job(double delay, bool fail) {
  coreio::sleep(sec(delay));
  if (fail) throw coreio::ValueError("the disk is full");
  return "ok";
}

void report(std::vector<coreio::Task<std::string>>& done) {
  for (auto& task : done) {
    if (std::exception_ptr e = task.exception()) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        fmt::print("  {} raised: {}\n", task.get_name(), ex.what());
      }
    } else {
      fmt::print("  {} returned {}\n", task.get_name(), task.result());
    }
  }
}

int main() {
  coreio::run(
      [] {
        std::vector<coreio::Task<std::string>> tasks{
            coreio::create_task([] { return job(1, false); }, {.name = "fast"}),
            coreio::create_task([] { return job(2, true); }, {.name = "failing"}),
            coreio::create_task([] { return job(5, false); }, {.name = "slow"})};
        auto [done, pending] = coreio::wait(tasks, {.return_when = coreio::FIRST_EXCEPTION});
        fmt::print("FIRST_EXCEPTION with a failure: {} done, {} pending\n", done.size(), pending.size());
        report(done);
        for (auto& task : pending) task.cancel(); // wait() never cancels: do it here
        coreio::wait(pending);
        fmt::print("  {} cancelled: {}\n", pending.front().get_name(), pending.front().cancelled());

        std::vector<coreio::Task<std::string>> healthy{
            coreio::create_task([] { return job(0.5, false); }, {.name = "first"}),
            coreio::create_task([] { return job(1, false); }, {.name = "second"})};
        auto [all, none] = coreio::wait(healthy, {.return_when = coreio::FIRST_EXCEPTION});
        fmt::print("FIRST_EXCEPTION without one: {} done, {} pending\n", all.size(), none.size());
        report(all);
      },
      examples::shape());
}
