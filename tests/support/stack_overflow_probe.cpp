// Overflows a task's stack on purpose, in each stack layout (argv[1]):
//   guarded       the default layout: a guard page below the stack
//   slab          guard_pages = false, the task's stack in the middle of a
//                 slab: the recursion runs through its neighbours into the
//                 slab's guard page
//   slab-bounded  guard_pages = false, an overflow that returns before the
//                 task suspends: the canary below the stack finds it
//   past-budget   the default layout with more live tasks than the guarded
//                 budget (a quarter of vm.max_map_count): the task gets a slab
//                 stack
// argv[2] is the runtime shape: 1 (one loop, the default), sn (two loops,
// shared-nothing) or ws (two loops, work stealing).
// The tests that run it expect the process to die with "coreio: stack
// overflow in task 'deep-recursion'" instead of corrupting memory.
#include <atomic>
#include <cstdio>
#include <fstream>
#include <string_view>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio/sync/event.hpp"

namespace {
// Unbounded by design; the depth check is on a volatile the compiler cannot
// see through, so it neither proves the recursion infinite nor removes it.
volatile int limit = 1 << 30;
[[gnu::noinline]] int recurse(volatile char* prev, int depth) {
  volatile char frame[1024];
  frame[0] = static_cast<char>(depth);
  if (prev) frame[1] = prev[0];
  if (depth > limit) return frame[0];
  return recurse(frame, depth + 1) + frame[2];
}

// Small frames, every one written: deep enough to leave a 64 KiB stack well
// behind, then it returns.
[[gnu::noinline]] int shallow_frames(volatile char* prev, int depth) {
  volatile char frame[16];
  for (auto& c : frame) c = static_cast<char>(depth);
  if (prev) frame[1] = prev[0];
  if (depth >= 4096) return frame[0];
  return shallow_frames(frame, depth + 1) + frame[2];
}

std::size_t max_map_count() {
  std::ifstream f("/proc/sys/vm/max_map_count");
  std::size_t n = 0;
  return f >> n ? n : 65530;
}

// `n` tasks that hold their stacks (suspended) until the probe ends.
void hold_stacks(coreio::Event& never, std::size_t n) {
  std::atomic<std::size_t> started{0}; // relaxed: a count polled until it is complete
  for (std::size_t i = 0; i < n; ++i)
    coreio::create_task([&] {
      started.fetch_add(1, std::memory_order_relaxed);
      never.wait();
    });
  while (started.load(std::memory_order_relaxed) < n) coreio::sleep(std::chrono::milliseconds(0));
}
} // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "guarded";
  const std::string_view shape = argc > 2 ? argv[2] : "1";
  coreio::RuntimeConfig cfg{.loops = shape == "1" ? 1U : 2U, .stealing = shape != "sn", .stack_size = 64 * 1024};
  if (shape != "1" && shape != "sn" && shape != "ws") {
    std::fprintf(stderr, "usage: %s [layout] [1|sn|ws]\n", argv[0]);
    return 2;
  }
  std::size_t holders = 0;
  if (mode == "slab" || mode == "slab-bounded") {
    cfg.guard_pages = false;
    holders = 5;
  } else if (mode == "past-budget") {
    holders = max_map_count() / 4 + 64;
    if (holders > 300'000) {
      std::printf("SKIP: vm.max_map_count is %zu: the guarded budget is too large to exhaust here\n", max_map_count());
      return 0;
    }
  } else if (mode != "guarded") {
    std::fprintf(stderr, "usage: %s [guarded|slab|slab-bounded|past-budget] [1|sn|ws]\n", argv[0]);
    return 2;
  }
  coreio::run(
      [&] {
        coreio::Event never;
        hold_stacks(never, holders);
        coreio::create_task(
            [&] {
              if (mode == "slab-bounded") {
                const int r = shallow_frames(nullptr, 0);
                coreio::sleep(std::chrono::milliseconds(0)); // the canary is checked here
                return r;
              }
              return recurse(nullptr, 0);
            },
            {.name = "deep-recursion"})
            .get();
      },
      cfg);
  std::puts("unreachable: the overflow was not detected");
  return 0;
}
