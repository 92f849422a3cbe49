// A parent that dies while its ProcessPoolExecutor's worker is inside an
// endless call (tests/core/pools/process_pool_executor_test.cpp):
//
//     process_orphan_probe PIDFILE kill|exit
//
// starts a one-worker pool, submits a call that writes the worker's pid to
// PIDFILE and then never returns, waits until PIDFILE exists, and then
// either waits to be SIGKILLed by the test (kill) or, once the test created
// PIDFILE.go, ends itself with _Exit (exit). Neither runs a destructor: the worker must die on its own.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "coreio/process_pool_executor.hpp"

namespace {

int endless_call(std::string pidfile) {
  {
    std::ofstream out(pidfile + ".tmp");
    out << ::getpid() << "\n";
  }
  std::filesystem::rename(pidfile + ".tmp", pidfile); // appears whole
  for (;;) ::pause();
}
COREIO_REGISTER_PROCESS_FUNCTION(endless_call);

} // namespace

int main(int argc, char** argv) {
  if (coreio::process_worker_main(argc, argv)) return 0;
  if (argc != 3) {
    std::fprintf(stderr, "usage: process_orphan_probe PIDFILE kill|exit\n");
    return 2;
  }
  const std::string pidfile = argv[1];
  const std::string mode = argv[2];
  auto* pool = new coreio::ProcessPoolExecutor(1); // never destroyed: we die with it running
  auto fut = pool->submit(endless_call, pidfile);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!std::filesystem::exists(pidfile)) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "process_orphan_probe: the worker did not start\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (mode == "exit") {
    // The test checks the worker runs, then creates PIDFILE.go.
    while (!std::filesystem::exists(pidfile + ".go")) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::_Exit(0);
  }
  for (;;) ::pause(); // until the test's SIGKILL
}
