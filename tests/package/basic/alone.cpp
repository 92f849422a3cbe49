// One module's target alone: built three times, linked to coreio::core,
// coreio::sync or coreio::net only (COREIO_ALONE = 1, 2, 3), so each target's
// exported interface is complete by itself (sync and net bring core).
#include <cstdio>
#include <cstdlib>

#include <coreio/runtime.hpp>
#include <coreio/task.hpp>
#if COREIO_ALONE == 2
#include <coreio/sync/event.hpp>
#elif COREIO_ALONE == 3
#include <coreio/net/dns.hpp>
#endif

int main() {
  const bool ok = coreio::run(
      [] {
#if COREIO_ALONE == 1
        auto t = coreio::create_task([] { return 20; });
        return t.get() + 1 == 21;
#elif COREIO_ALONE == 2
        coreio::Event event;
        auto waiter = coreio::create_task([&event] {
          event.wait();
          return true;
        });
        event.set();
        return waiter.get();
#else
        return !coreio::getaddrinfo("127.0.0.1", "80").empty();
#endif
      },
      {.loops = 2});
  std::printf("%s alone: %s\n",
              COREIO_ALONE == 1       ? "coreio::core"
                  : COREIO_ALONE == 2 ? "coreio::sync"
                                      : "coreio::net",
              ok ? "ok" : "FAILED");
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
