// A task that blocks its loop (a synchronous sleep standing in for a slow
// computation or a blocking call) is caught by the live stall detector while
// it stalls. The warning, with the task's name and the loop thread's
// backtrace, goes to stderr through the "coreio" logger:
//
//   [warning] loop 0 stalled: task 'checksum' (id 2) has run for at least 100 ms
//             without returning to the loop (threshold 100 ms); backtrace of the loop thread:
//       #0 clock_nanosleep at ...
//       #2 blocking_checksum() at examples/observability/stall.cpp:...
//   [warning] loop 0: the stall in task 'checksum' (id 2) is over; it lasted about 400 ms (...)
//
// stdout shows what the program sees: the task's result, and the stall
// counted by Runtime::metrics().
// COREIO_STALL_THRESHOLD=0 would turn the detector off; see docs/observability.md.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <thread>

#include <coreio/coreio.hpp>

#include "common/shape.hpp"

using namespace std::chrono_literals;

namespace {

/// The mistake: a blocking call inside a task (it should be coreio::to_thread).
[[gnu::noinline]] int blocking_checksum() {
  std::this_thread::sleep_for(500ms);
  return 42;
}

} // namespace

int main() {
  coreio::RuntimeConfig cfg = examples::shape();
  cfg.stall_threshold = 100ms;
  coreio::run(
      [] {
        auto checksum = coreio::create_task([] { return blocking_checksum(); }, {.name = "checksum"});
        std::cout << "checksum " << checksum.get() << std::endl;
        std::uint64_t stalls = 0;
        for (const auto& l : coreio::Runtime::current()->metrics().loops) stalls += l.stalls;
        std::cout << "stalls caught " << stalls << std::endl;
      },
      cfg);
}
