#include "coreio/sleep.hpp" // self-contained header first

#include <chrono>
#include <cmath>
#include <limits>
#include <string>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

using namespace std::chrono_literals;

namespace {
using fseconds = std::chrono::duration<double>;
using fmillis = std::chrono::duration<float, std::milli>;

/// A task sleeping `delay` is still asleep a while later and ends cancelled.
template <class D>
void sleeps_until_cancelled(D delay) {
  auto t = coreio::create_task([delay] { coreio::sleep(delay); });
  coreio::sleep(20ms);
  CHECK_FALSE(t.done());
  CHECK(t.cancel());
  CHECK_THROWS_AS(t.get(), coreio::CancelledError);
}
} // namespace

TEST_SUITE("sleep") {
  COREIO_TEST_CASE("sleep with a NaN delay raises ValueError and the runtime stays usable") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(coreio::sleep(fseconds(nan)), coreio::ValueError);
    CHECK_THROWS_WITH(coreio::sleep(fseconds(nan)), "Invalid delay: NaN (not a number)");
    CHECK_THROWS_AS(coreio::sleep(fmillis(std::numeric_limits<float>::quiet_NaN())), coreio::ValueError);
    auto t = coreio::create_task([nan] { coreio::sleep(fseconds(nan)); });
    CHECK_THROWS_AS(t.get(), coreio::ValueError);
    const auto t0 = std::chrono::steady_clock::now();
    coreio::sleep(fseconds(0.01));
    CHECK(std::chrono::steady_clock::now() - t0 >= 10ms);
  }

  COREIO_TEST_CASE("sleep with a zero, negative or -inf delay is one scheduler turn") {
    bool ran = false;
    auto other = coreio::get_running_loop().create_task([&] { ran = true; });
    coreio::sleep(fseconds(-std::numeric_limits<double>::infinity()));
    coreio::sleep(-5s);
    coreio::sleep(fseconds(-0.5));
    coreio::sleep(0ms);
    other.get();
    CHECK(ran);
  }

  COREIO_TEST_CASE("sleep with an infinite or huge delay waits until cancelled") {
    sleeps_until_cancelled(fseconds(std::numeric_limits<double>::infinity()));
    sleeps_until_cancelled(fseconds(1e30));
    sleeps_until_cancelled(std::chrono::hours::max()); // overflows nanoseconds: clamped
    sleeps_until_cancelled(coreio::max_sleep_delay);
    // The non-template overload: now() + nanoseconds::max() used to wrap into
    // the past, so this returned at once.
    sleeps_until_cancelled(std::chrono::nanoseconds::max());
  }

} // TEST_SUITE
