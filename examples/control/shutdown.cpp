// Bounded graceful shutdown: RuntimeConfig::shutdown_timeout (a coreio
// extension to asyncio.run, which waits for every task's cleanup however long
// it takes).
//
// The main task starts a well-behaved worker, which cleans up when cancelled,
// and a stubborn one, which swallows every CancelledError and keeps going. When
// main returns, run() cancels both: the worker finishes its cleanup; the
// stubborn task is still running when the bound passes, so it is named in an
// error on the "coreio" logger (stderr) and abandoned, and run() returns.
// A CancellationToken tells the worker's helper to stop, and a DropGuard
// cancels it on the way out of main.
#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

int main() {
  auto cfg = examples::shape();
  cfg.shutdown_timeout = sec(0.5);
  coreio::run(
      [] {
        coreio::CancellationToken stop;
        auto guard = stop.drop_guard(); // cancels `stop` when main returns
        coreio::create_task([stop] {
          stop.cancelled();
          fmt::print("helper: token cancelled\n");
        });
        coreio::create_task(
            [] {
              try {
                coreio::sleep(sec(100));
              } catch (const coreio::CancelledError&) {
                fmt::print("worker: cancelled, cleaning up\n");
                throw;
              }
            },
            {.name = "worker"});
        coreio::create_task(
            [] {
              for (;;) {
                try {
                  coreio::sleep(sec(0.05));
                } catch (const coreio::CancelledError&) {
                  // swallowed: this task never stops by itself
                }
              }
            },
            {.name = "stubborn"});
        coreio::sleep(sec(0.1));
        fmt::print("main: done, shutting down\n");
      },
      cfg);
  fmt::print("run() returned\n");
}
