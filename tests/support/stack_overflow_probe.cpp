// Overflows a task's stack on purpose. The test that runs it expects the
// process to die with "coreio: stack overflow in task 'deep-recursion'"
// instead of corrupting memory (guard page + overflow handler).
#include <cstdio>

#include "coreio/coreio.hpp"

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
} // namespace

int main() {
  coreio::run([] { coreio::create_task([] { return recurse(nullptr, 0); }, {.name = "deep-recursion"}).get(); },
              {.loops = 1, .stack_size = 64 * 1024});
  std::puts("unreachable: the overflow was not detected");
  return 0;
}
