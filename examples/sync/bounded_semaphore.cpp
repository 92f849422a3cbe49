// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §5.1.5 BoundedSemaphore
//
// The seed describes BoundedSemaphore without a program: its initial value is
// also its upper bound, so a release() without a matching acquire() is an
// error (ValueError) instead of silently raising the limit, as it does on a
// plain Semaphore. The seed's use cases are a connection pool whose size must
// never grow and catching unbalanced release() calls; this program shows both.
#include <mutex>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/sync/semaphore.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

void query(int n, coreio::BoundedSemaphore& pool) {
  std::lock_guard connection(pool); // one of the pool's two connections
  fmt::print("query {} got a connection\n", n);
  coreio::sleep(sec(0.2));
  fmt::print("query {} done\n", n);
}

int main() {
  coreio::run(
      [] {
        coreio::BoundedSemaphore pool(2);
        std::vector<coreio::Task<void>> queries;
        for (int n = 0; n < 4; ++n) queries.push_back(coreio::create_task([n, &pool] { query(n, pool); }));
        coreio::gather(queries);

        // An unbalanced release: a bug the bounded semaphore reports.
        try {
          pool.release();
        } catch (const coreio::ValueError& e) {
          fmt::print("BoundedSemaphore: ValueError: {}\n", e.what());
        }

        // A plain Semaphore accepts it and from then on admits one more.
        coreio::Semaphore sema(2);
        sema.release();
        int admitted = 0;
        while (sema.try_acquire()) ++admitted;
        fmt::print("Semaphore(2) after one extra release admits {} at once\n", admitted);
      },
      examples::shape());
}
