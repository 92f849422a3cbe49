#include "coreio/context_var.hpp"

#include <string>
#include <thread>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"

namespace {
coreio::ContextVar<std::string> request_id("request_id");
coreio::ContextVar<int> depth("depth", 0);
} // namespace

TEST_SUITE("ContextVar") {

COREIO_TEST_CASE("a child task sees its parent's values, copied at spawn") {
  request_id.set("r-1");
  auto child = coreio::create_task([] {
    auto seen = request_id.get();
    request_id.set("changed-in-child");
    return seen;
  });
  request_id.set("r-2"); // after the spawn: the child keeps r-1
  CHECK(child.get() == "r-1");
  CHECK(request_id.get() == "r-2"); // the child's change did not leak back
}

COREIO_TEST_CASE("a value survives migration: it lives in the task, not the thread") {
  depth.set(7);
  for (int i = 0; i < 100; ++i) {
    coreio::yield_now();
    REQUIRE(depth.get() == 7);
  }
}

COREIO_TEST_CASE("default, missing value and reset") {
  CHECK(depth.get() == 0);
  coreio::ContextVar<int> nodefault("nodefault");
  CHECK_THROWS_AS((void)nodefault.get(), coreio::LookupError);
  CHECK(nodefault.get(5) == 5);
  auto tok = nodefault.set(1);
  CHECK(nodefault.get() == 1);
  nodefault.reset(tok);
  CHECK_THROWS_AS((void)nodefault.get(), coreio::LookupError);
}

COREIO_TEST_CASE("sibling tasks do not see each other's values") {
  auto a = coreio::create_task([] {
    depth.set(1);
    coreio::yield_now();
    return depth.get();
  });
  auto b = coreio::create_task([] {
    depth.set(2);
    coreio::yield_now();
    return depth.get();
  });
  CHECK(a.get() == 1);
  CHECK(b.get() == 2);
  CHECK(depth.get() == 0);
}

} // TEST_SUITE
