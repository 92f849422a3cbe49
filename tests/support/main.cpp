// doctest's main, plus the ProcessPoolExecutor worker hook: a test binary is
// also the executable its process pools start as workers, so it must let
// coreio handle that command line before doctest sees it.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "coreio/process_pool_executor.hpp"

int main(int argc, char** argv) {
  if (coreio::process_worker_main(argc, argv)) return 0;
  return doctest::Context(argc, argv).run();
}
