// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §5.2.3 LifoQueue
//
// The seed describes LifoQueue without a program: Queue's methods, but the
// item put last comes out first (a stack; put() appends, get() pops from the
// end). Here a producer pushes pages onto a "back" stack as a user browses,
// and a consumer pops them, newest first, while the producer keeps adding:
// whatever is on top when the consumer asks is what it gets.
#include <string>

#include <coreio/coreio.hpp>
#include <coreio/sync/queue.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void browse(coreio::LifoQueue<std::string>& history) {
  for (const char* page : {"/home", "/docs", "/docs/api", "/docs/api/queues"}) {
    history.put(page);
    fmt::print("visited {}\n", page);
  }
  coreio::sleep(sec(0.25)); // the user reads a while, then visits one more page
  history.put("/blog");
  fmt::print("visited /blog\n");
}

void go_back(coreio::LifoQueue<std::string>& history, int times) {
  coreio::sleep(sec(0.1));
  for (int i = 0; i < times; ++i) {
    fmt::print("back to {}\n", history.get());
    coreio::sleep(sec(0.1));
  }
}

int main() {
  coreio::run(
      [] {
        coreio::LifoQueue<std::string> history;
        auto user = coreio::create_task([&history] { browse(history); });
        auto back = coreio::create_task([&history] { go_back(history, 4); });
        coreio::gather(user, back);
        fmt::print("left on the stack: {}\n", history.qsize());
      },
      examples::shape());
}
