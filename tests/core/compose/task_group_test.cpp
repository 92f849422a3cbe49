#include "coreio/task_group.hpp" // self-contained header first

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <functional>
#include <typeindex>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;
using coreio::CancelledError;
using coreio::ExceptionGroup;
using coreio::TaskGroup;

using coreio::testing::on_loop;
using coreio::testing::until;

namespace {

struct MyExc : std::runtime_error {
  MyExc() : std::runtime_error("MyExc") {}
};
struct DivByZero : std::runtime_error {
  DivByZero() : std::runtime_error("division by zero") {}
};

/// The types of a group's direct members (asyncio's get_error_types).
std::set<std::type_index> error_types(const ExceptionGroup& eg) {
  std::set<std::type_index> out;
  for (const auto& e : eg.exceptions()) {
    try {
      std::rethrow_exception(e);
    } catch (const ExceptionGroup&) {
      out.insert(typeid(ExceptionGroup));
    } catch (const MyExc&) {
      out.insert(typeid(MyExc));
    } catch (const DivByZero&) {
      out.insert(typeid(DivByZero));
    } catch (const std::invalid_argument&) {
      out.insert(typeid(std::invalid_argument));
    } catch (const coreio::RuntimeError&) {
      out.insert(typeid(coreio::RuntimeError));
    } catch (...) {
      out.insert(typeid(void));
    }
  }
  return out;
}

/// Runs fn and returns the ExceptionGroup it raises (FAILs otherwise).
template <class F>
ExceptionGroup expect_group(F&& fn) {
  try {
    fn();
  } catch (const ExceptionGroup& eg) {
    return eg;
  }
  FAIL("no ExceptionGroup raised");
  return ExceptionGroup("", {});
}

} // namespace

TEST_SUITE("TaskGroup") {

COREIO_TEST_CASE("the group waits for every child, on every loop") {
  coreio::Task<int> t1, t2;
  coreio::task_group([&](TaskGroup& g) {
    t1 = g.create_task([] { coreio::sleep(2ms); return 42; }, on_loop(0));
    t2 = g.create_task([] { coreio::sleep(4ms); return 11; }, on_loop(1));
  });
  CHECK(t1.result() == 42);
  CHECK(t2.result() == 11);
}

COREIO_TEST_CASE("the body's value is returned and children may be added while it runs") {
  coreio::Task<int> t2;
  const int v = coreio::task_group([&](TaskGroup& g) {
    auto t1 = g.create_task([] { coreio::sleep(2ms); return 42; }, on_loop(1));
    coreio::sleep(3ms);
    t2 = g.create_task([] { coreio::sleep(2ms); return 11; }, on_loop(0));
    return t1.get();
  });
  CHECK(v == 42);
  CHECK(t2.result() == 11);
}

COREIO_TEST_CASE("a child cancelled explicitly is just a cancelled child") {
  coreio::Task<int> t1, t2;
  coreio::task_group([&](TaskGroup& g) {
    t1 = g.create_task([] { coreio::sleep(10s); return 42; }, on_loop(1));
    coreio::sleep(1ms);
    t1.cancel();
    t2 = g.create_task([] { coreio::sleep(2ms); return 11; });
  });
  CHECK(t1.cancelled());
  CHECK(t2.result() == 11);
}

COREIO_TEST_CASE("a child failure cancels the siblings and the body and raises an ExceptionGroup") {
  std::atomic<int> num{0};
  std::atomic<bool> t2_cancelled{false}, body_cancelled{false}, t2_started{false};
  coreio::Task<void> t2;
  auto eg = expect_group([&] {
    coreio::task_group([&](TaskGroup& g) {
      for (std::size_t i = 0; i < 3; ++i)
        g.create_task(
            [&] {
              until([&] { return t2_started.load(); });
              throw DivByZero();
            },
            on_loop(i));
      t2 = g.create_task(
          [&] {
            t2_started = true;
            try {
              coreio::sleep(5s);
            } catch (const CancelledError&) {
              t2_cancelled = true;
              throw;
            }
            ++num;
          },
          on_loop(1));
      try {
        coreio::sleep(10s);
      } catch (const CancelledError&) {
        body_cancelled = true;
        throw;
      }
    });
    num += 10;
  });
  CHECK(eg.what() == std::string("unhandled errors in a TaskGroup"));
  CHECK(error_types(eg) == std::set<std::type_index>{typeid(DivByZero)}); // the cancellations are not collected
  CHECK(eg.exceptions().size() >= 1);
  CHECK(num.load() == 0);
  CHECK(t2_cancelled.load());
  CHECK(body_cancelled.load());
  CHECK(t2.cancelled());
  CHECK(coreio::current_task().cancelling() == 0); // the group's own cancel was uncancel()ed
}

COREIO_TEST_CASE("an outer cancel cancels the children, waits for them and propagates with its message") {
  std::atomic<int> num{0}, started{0};
  auto runner = coreio::create_task([&] {
    coreio::task_group([&](TaskGroup& g) {
      for (std::size_t i = 0; i < 5; ++i)
        g.create_task(
            [&] {
              ++started;
              try {
                coreio::sleep(5s);
              } catch (const CancelledError&) {
                coreio::sleep(1ms); // the group waits for this
                ++num;
                throw;
              }
            },
            on_loop(i));
    });
  });
  until([&] { return started.load() == 5; });
  CHECK_FALSE(runner.done());
  runner.cancel("test");
  try {
    runner.get();
    FAIL("not cancelled");
  } catch (const CancelledError& e) {
    CHECK(e.message() == "test");
  }
  CHECK(num.load() == 5);
}

COREIO_TEST_CASE("an outer cancel reaches a body that is still running") {
  std::atomic<int> num{0}, started{0};
  auto runner = coreio::create_task([&] {
    coreio::task_group([&](TaskGroup& g) {
      for (std::size_t i = 0; i < 5; ++i)
        g.create_task(
            [&] {
              ++started;
              try {
                coreio::sleep(5s);
              } catch (const CancelledError&) {
                ++num;
                throw;
              }
            },
            on_loop(i));
      ++started;
      try {
        coreio::sleep(10s);
      } catch (const CancelledError&) {
        num += 10;
        throw;
      }
    });
  });
  until([&] { return started.load() == 6; });
  runner.cancel();
  CHECK_THROWS_AS(runner.get(), CancelledError);
  CHECK(num.load() == 15);
}

COREIO_TEST_CASE("an outer cancel wins over child errors that are only cancellations in the body") {
  // asyncio's test_cancellation_in_body: children fail while the body is cancelled from outside.
  std::atomic<bool> in_body{false};
  auto runner = coreio::create_task([&] {
    coreio::task_group([&](TaskGroup& g) {
      for (std::size_t i = 0; i < 5; ++i)
        g.create_task(
            [] {
              coreio::sleep(2s);
              throw DivByZero();
            },
            on_loop(i));
      in_body = true;
      coreio::sleep(10s);
    });
  });
  until([&] { return in_body.load(); });
  runner.cancel("test");
  try {
    runner.get();
    FAIL("not cancelled");
  } catch (const CancelledError& e) {
    CHECK(e.message() == "test");
  }
}

COREIO_TEST_CASE("a body exception cancels the children and is raised in the group") {
  coreio::Task<int> t1, t2;
  for (bool suspend_first : {true, false}) {
    auto eg = expect_group([&] {
      coreio::task_group([&](TaskGroup& g) {
        t1 = g.create_task([] { coreio::sleep(1s); return 42; }, on_loop(0));
        t2 = g.create_task([] { coreio::sleep(2s); return 11; }, on_loop(1));
        if (suspend_first) coreio::sleep(1ms);
        throw DivByZero();
      });
    });
    CHECK(error_types(eg) == std::set<std::type_index>{typeid(DivByZero)});
    CHECK(t1.cancelled());
    CHECK(t2.cancelled());
  }
}

COREIO_TEST_CASE("nested groups: an outer cancel propagates as CancelledError") {
  for (bool outer_child : {false, true}) {
    std::atomic<bool> in_body{false};
    auto runner = coreio::create_task([&] {
      coreio::task_group([&](TaskGroup& g1) {
        if (outer_child) g1.create_task([] { coreio::sleep(10s); }, on_loop(1));
        coreio::task_group([&](TaskGroup& g2) {
          for (std::size_t i = 0; i < 5; ++i)
            g2.create_task(
                [] {
                  coreio::sleep(2s);
                  throw DivByZero();
                },
                on_loop(i));
          in_body = true;
          coreio::sleep(10s);
        });
      });
    });
    until([&] { return in_body.load(); });
    CHECK_FALSE(runner.done());
    runner.cancel();
    CHECK_THROWS_AS(runner.get(), CancelledError);
  }
}

COREIO_TEST_CASE("nested groups: an outer child crash cancels the inner group") {
  auto eg = expect_group([&] {
    coreio::task_group([&](TaskGroup& g1) {
      g1.create_task(
          [] {
            coreio::sleep(2ms);
            throw std::invalid_argument("0.1");
          },
          on_loop(1));
      coreio::task_group([&](TaskGroup& g2) {
        g2.create_task(
            [] {
              coreio::sleep(10s);
              throw std::invalid_argument("10");
            },
            on_loop(0));
      });
    });
  });
  CHECK(error_types(eg) == std::set<std::type_index>{typeid(std::invalid_argument)});
}

COREIO_TEST_CASE("nested groups: an inner crash arrives as a nested ExceptionGroup") {
  auto eg = expect_group([&] {
    coreio::task_group([&](TaskGroup& g1) {
      g1.create_task(
          [] {
            coreio::sleep(10s);
            throw std::invalid_argument("10");
          },
          on_loop(0));
      coreio::task_group([&](TaskGroup& g2) {
        g2.create_task(
            [] {
              coreio::sleep(2ms);
              throw std::invalid_argument("0.1");
            },
            on_loop(1));
      });
    });
  });
  REQUIRE(error_types(eg) == std::set<std::type_index>{typeid(ExceptionGroup)});
  try {
    std::rethrow_exception(eg.exceptions().at(0));
  } catch (const ExceptionGroup& inner) {
    CHECK(error_types(inner) == std::set<std::type_index>{typeid(std::invalid_argument)});
  }
  // except* ValueError: split() looks through the nesting.
  auto [mine, rest] = eg.split<std::invalid_argument>();
  CHECK(mine);
  CHECK_FALSE(rest);
  CHECK(eg.leaves_of<std::invalid_argument>().size() == 1);
}

COREIO_TEST_CASE("a child failing while the body handles an outer cancel gives an ExceptionGroup") {
  // asyncio 3.13's test_taskgroup_15/16: the error has priority over the cancellation.
  for (bool in_nested_task : {false, true}) {
    std::atomic<bool> in_body{false}, in_cleanup{false};
    auto nested_runner = [&] {
      coreio::task_group([&](TaskGroup& g) {
        g.create_task(
            [&] {
              until([&] { return in_cleanup.load(); });
              throw DivByZero();
            },
            on_loop(1));
        try {
          in_body = true;
          coreio::sleep(10s);
        } catch (const CancelledError&) {
          in_cleanup = true;
          coreio::sleep(10s); // cleanup, interrupted by the child's failure
          throw;
        }
      });
    };
    auto runner = coreio::create_task([&] {
      if (in_nested_task) coreio::create_task(nested_runner).get();
      else nested_runner();
    });
    until([&] { return in_body.load(); });
    CHECK_FALSE(runner.done());
    runner.cancel();
    try {
      runner.get();
      FAIL("no ExceptionGroup");
    } catch (const ExceptionGroup& eg) {
      CHECK(error_types(eg) == std::set<std::type_index>{typeid(DivByZero)});
    }
  }
}

COREIO_TEST_CASE("an empty group propagates an outer cancel") {
  std::atomic<int> num{0};
  std::atomic<bool> in_body{false};
  auto runner = coreio::create_task([&] {
    coreio::task_group([&](TaskGroup&) {
      try {
        in_body = true;
        coreio::sleep(10s);
      } catch (const CancelledError&) {
        num += 10;
        throw;
      }
    });
  });
  until([&] { return in_body.load(); });
  runner.cancel();
  CHECK_THROWS_AS(runner.get(), CancelledError);
  CHECK(num.load() == 10);
}

COREIO_TEST_CASE("a body that turns the outer cancel into another error raises it in a group") {
  std::atomic<bool> in_body{false};
  auto runner = coreio::create_task([&] {
    coreio::task_group([&](TaskGroup&) {
      try {
        in_body = true;
        coreio::sleep(10s);
      } catch (const CancelledError&) {
        throw MyExc(); // not a good idea, but supported
      }
    });
  });
  until([&] { return in_body.load(); });
  runner.cancel();
  try {
    runner.get();
    FAIL("no ExceptionGroup");
  } catch (const ExceptionGroup& eg) {
    CHECK(error_types(eg) == std::set<std::type_index>{typeid(MyExc)});
  }
}

COREIO_TEST_CASE("an error raised by the cancelled body joins the children's errors") {
  auto eg = expect_group([&] {
    coreio::task_group([&](TaskGroup& g) {
      g.create_task(
          [] {
            coreio::sleep(2ms);
            throw DivByZero();
          },
          on_loop(1));
      try {
        coreio::sleep(10s);
      } catch (const CancelledError&) {
        throw MyExc(); // asyncio's test_taskgroup_19: a `finally` that raises
      }
    });
  });
  CHECK(error_types(eg) == std::set<std::type_index>{typeid(MyExc), typeid(DivByZero)});
}

COREIO_TEST_CASE("cancelling the parent while it waits in the exit propagates CancelledError") {
  auto runner = coreio::create_task([&] {
    coreio::task_group([&](TaskGroup& g) {
      g.create_task([] { coreio::sleep(1s); }, on_loop(0));
      g.create_task([] { coreio::sleep(2s); }, on_loop(1));
    });
  });
  coreio::sleep(2ms);
  runner.cancel();
  CHECK_THROWS_AS(runner.get(), CancelledError);
}

COREIO_TEST_CASE("children can add siblings from any loop") {
  std::atomic<int> ran{0};
  coreio::task_group([&](TaskGroup& g) {
    g.create_task(
        [&] {
          coreio::sleep(1ms);
          g.create_task([&] { coreio::sleep(1ms); ++ran; }, on_loop(0));
          g.create_task([&] { coreio::sleep(2ms); ++ran; }, on_loop(1));
        },
        on_loop(1));
  });
  CHECK(ran.load() == 2);
}

COREIO_TEST_CASE("a hydra of self-spawning children is cut down by one failure") {
  std::atomic<int> nhydras{0};
  std::function<void(TaskGroup&)> hydra = [&](TaskGroup& g) {
    ++nhydras;
    coreio::sleep(1ms);
    g.create_task([&] { hydra(g); }, on_loop(static_cast<std::size_t>(nhydras.load())));
    g.create_task([&] { hydra(g); }, on_loop(static_cast<std::size_t>(nhydras.load() + 1)));
  };
  auto eg = expect_group([&] {
    coreio::task_group([&](TaskGroup& g) {
      g.create_task([&] { hydra(g); });
      g.create_task([&] {
        while (nhydras.load() < 10) coreio::sleep(1ms);
        throw DivByZero();
      });
    });
  });
  // A hydra that was between its sleep and its create_task calls when the
  // group aborted (possible when it runs on another loop) may also fail with
  // "TaskGroup is shutting down"; asyncio's single thread never shows that.
  // (The stricter "only the DivByZero" failed 17 runs in 100 once a cancel
  // from another loop during a step waits for the next suspension point; the
  // overlapped create_task itself is checked by the case below.)
  const auto types = error_types(eg);
  CHECK(types.count(typeid(DivByZero)) == 1);
  for (const auto& t : types) CHECK((t == typeid(DivByZero) || t == typeid(coreio::RuntimeError)));
  CHECK(nhydras.load() >= 10);
}

COREIO_TEST_CASE("a group of thousands of children on every loop completes") {
  std::atomic<int> ran{0};
  coreio::task_group([&](TaskGroup& g) {
    for (std::size_t i = 0; i < 3000; ++i)
      g.create_task(
          [&] {
            coreio::yield_now();
            ++ran;
          },
          on_loop(i));
  });
  CHECK(ran.load() == 3000);
}

COREIO_TEST_CASE("create_task keeps the task's options, name included") {
  coreio::task_group([&](TaskGroup& g) {
    auto t = g.create_task([] { coreio::yield_now(); }, {.name = "yolo"});
    CHECK(t.get_name() == "yolo");
  });
}

COREIO_TEST_CASE("create_task on a finished or shutting-down group is a RuntimeError") {
  {
    TaskGroup g;
    g.join();
    CHECK_THROWS_WITH_AS(g.create_task([] {}), "TaskGroup is finished", coreio::RuntimeError);
  }
  (void)expect_group([&] {
    coreio::task_group([&](TaskGroup& g) {
      g.create_task([] { throw DivByZero(); });
      try {
        coreio::sleep(10s);
      } catch (const CancelledError&) {
        CHECK_THROWS_WITH_AS(g.create_task([] {}), "TaskGroup is shutting down", coreio::RuntimeError);
        throw;
      }
    });
  });
}

COREIO_TEST_CASE("the group's cancellation does not leak out once the errors are handled") {
  try {
    coreio::task_group([](TaskGroup& g) { g.create_task([] { throw std::invalid_argument("v"); }); });
  } catch (const ExceptionGroup& eg) {
    auto [mine, rest] = eg.split<std::invalid_argument>();
    CHECK(mine);
    CHECK_FALSE(rest);
  }
  CHECK(coreio::current_task().cancelling() == 0);
  coreio::sleep(1ms); // no stray CancelledError
}

COREIO_TEST_CASE("errors plus an enclosing timeout: the timeout still fires after the group") {
  // 3.13: the group re-cancels the parent when it raises with a cancel pending,
  // so code after `except*` is still interrupted by the enclosing timeout.
  CHECK_THROWS_AS(coreio::timeout(3ms,
                                  [] {
                                    try {
                                      coreio::task_group([](TaskGroup& g) {
                                        g.create_task(
                                            [] {
                                              try {
                                                coreio::sleep(10s);
                                              } catch (const CancelledError&) {
                                                throw std::invalid_argument("while cancelled");
                                              }
                                            },
                                            on_loop(1));
                                        coreio::sleep(10s);
                                      });
                                    } catch (const ExceptionGroup&) {
                                      // except* ValueError: handled
                                    }
                                    coreio::sleep(10s); // must still be interrupted
                                  }),
                  coreio::TimeoutError);
}

COREIO_TEST_CASE("an eager child that fails at once does not cancel the body before create_task returns") {
  bool second_created = false;
  (void)expect_group([&] {
    coreio::task_group([&](TaskGroup& g) {
      g.create_task([] { throw DivByZero(); }, {.eager = true});
      g.create_task([] { coreio::sleep(10s); }); // gh-128550: still accepted
      second_created = true;
      coreio::sleep(10s);
    });
  });
  CHECK(second_created);
}

COREIO_TEST_CASE("a child cannot add tasks once a sibling failed") {
  auto eg = expect_group([&] {
    coreio::task_group([&](TaskGroup& g) {
      g.create_task(
          [] {
            coreio::sleep(1ms);
            throw DivByZero();
          },
          on_loop(1));
      g.create_task(
          [&] {
            try {
              coreio::sleep(1s);
            } catch (const CancelledError&) {
              CHECK_THROWS_AS(g.create_task([] {}), coreio::RuntimeError);
              throw;
            }
          },
          on_loop(0));
    });
  });
  CHECK(error_types(eg) == std::set<std::type_index>{typeid(DivByZero)});
}

COREIO_TEST_CASE("an exception from the body's cleanup joins the child's and the cancel count is restored") {
  // asyncio's test_taskgroup_context_manager_exit_raises (gh-95289).
  auto main = coreio::create_task([] {
    try {
      coreio::task_group([](TaskGroup& tg) {
        try {
          tg.create_task([] { throw MyExc(); });
          coreio::sleep(1s);
        } catch (const CancelledError&) {
          throw MyExc(); // the database context's `finally`
        }
      });
      FAIL("no ExceptionGroup");
    } catch (const ExceptionGroup& eg) {
      CHECK(coreio::current_task().cancelling() == 0);
      auto [mine, rest] = eg.split<MyExc>();
      REQUIRE(mine);
      CHECK_FALSE(rest);
      CHECK(eg.exceptions().size() == 2);
    }
  });
  main.get();
}

COREIO_TEST_CASE("nested groups both failing keep the cancel count level") {
  // asyncio's test_nested_groups_both_cancelled. The check inside depends on
  // asyncio's one-loop order: both children fail, and both groups' requests
  // reach the parent, before the parent resumes. With a child on another
  // loop its failure can reach the inner group while the parent is still
  // running its step; the parent then leaves both groups before the outer
  // child's failure is reported, and the count reads 0 (the test failed 1 run
  // in 5 in the multi-loop shapes before it was pinned). What is under test is
  // the count arithmetic, so the parent and both children share one loop, in
  // every shape.
  const auto here = [] { return coreio::TaskOptions{.pinned = true, .loop = &coreio::get_running_loop()}; };
  auto parent = coreio::create_task(
      [&] {
        try {
          coreio::task_group([&](TaskGroup& outer_tg) {
            try {
              coreio::task_group([&](TaskGroup& inner_tg) {
                inner_tg.create_task([] { throw std::invalid_argument("inner"); }, here());
                outer_tg.create_task([] { throw DivByZero(); }, here());
                coreio::sleep(10s);
              });
              FAIL("inner group raised nothing");
            } catch (const ExceptionGroup& eg) {
              CHECK(eg.subgroup<std::invalid_argument>());
            }
            CHECK(coreio::current_task().cancelling() == 1); // the outer group's request
          });
          FAIL("outer group raised nothing");
        } catch (const ExceptionGroup& eg) {
          CHECK(eg.subgroup<DivByZero>());
        }
        CHECK(coreio::current_task().cancelling() == 0);
      },
      here());
  parent.get();
}

COREIO_TEST_CASE("an external cancel plus a child error: ExceptionGroup, then the cancel is still delivered") {
  // asyncio 3.13's test_error_and_cancel.
  coreio::Future<void> started;
  auto inner = coreio::create_task([&] {
    try {
      coreio::task_group([&](TaskGroup& tg) {
        tg.create_task(
            [&] {
              started.set_result();
              try {
                coreio::sleep(2ms);
              } catch (const CancelledError&) {
                // fails whether or not the group cancelled it first
              }
              throw coreio::RuntimeError("error");
            },
            on_loop(1));
        coreio::sleep(10s);
        FAIL("sleep in the group should have been cancelled");
      });
    } catch (const ExceptionGroup& eg) {
      CHECK(eg.subgroup<coreio::RuntimeError>());
      CHECK(coreio::current_task().cancelling() == 1);
    }
    CHECK(coreio::current_task().cancelling() == 1);
    coreio::sleep(10s);
    FAIL("sleep after the group should have been cancelled");
  });
  started.get();
  CHECK(inner.cancelling() == 0);
  inner.cancel();
  CHECK(inner.cancelling() == 1);
  CHECK_THROWS_AS(inner.get(), CancelledError);
  CHECK(inner.cancelled());
}

COREIO_TEST_CASE("the RAII form: join() waits and raises like the scoped form") {
  std::atomic<int> done{0};
  {
    TaskGroup g;
    g.create_task([&] { coreio::sleep(2ms); ++done; }, on_loop(1));
    g.create_task([&] { coreio::sleep(1ms); ++done; }, on_loop(0));
    g.join();
    CHECK(done.load() == 2);
  }
  auto eg = expect_group([] {
    TaskGroup g;
    g.create_task([] { throw MyExc(); }, on_loop(1));
    g.join();
  });
  CHECK(error_types(eg) == std::set<std::type_index>{typeid(MyExc)});
}

COREIO_TEST_CASE("the RAII form left by an exception cancels and waits for the children") {
  std::atomic<bool> child_cancelled{false}, child_started{false};
  CHECK_THROWS_AS(
      [&] {
        TaskGroup g;
        g.create_task(
            [&] {
              child_started = true;
              try {
                coreio::sleep(10s);
              } catch (const CancelledError&) {
                coreio::sleep(2ms);
                child_cancelled = true;
                throw;
              }
            },
            on_loop(1));
        until([&] { return child_started.load(); });
        throw MyExc();
      }(),
      MyExc);
  CHECK(child_cancelled.load()); // the destructor waited for it
}

COREIO_TEST_CASE("TaskGroup outside a task is a RuntimeError") {
  std::exception_ptr err;
  std::thread th([&] {
    try {
      TaskGroup g;
    } catch (...) {
      err = std::current_exception();
    }
  });
  coreio::to_thread([&] { th.join(); });
  REQUIRE(err);
  CHECK_THROWS_AS(std::rethrow_exception(err), coreio::RuntimeError);
}

} // TEST_SUITE

COREIO_TEST_CASE(
    "create_task from a child the abort overlapped gets asyncio's answer: a task cancelled before it starts") {
  auto& rt = coreio::get_running_loop().runtime();
  std::atomic<bool> body_ran{false};
  std::atomic<int> outcome{0}; // 1: create_task returned a task, 2: RuntimeError
  coreio::Task<> late; // what the overlapped child's create_task returned
  std::atomic<bool> spinning{false};
  auto eg = expect_group([&] {
    coreio::task_group([&](TaskGroup& g) {
      if (rt.num_loops() == 1) {
        // One loop: the child sees CancelledError first, then RuntimeError.
        g.create_task([&] {
          try {
            coreio::sleep(10s);
          } catch (const CancelledError&) {
            try {
              (void)g.create_task([&] { body_ran = true; });
            } catch (const coreio::RuntimeError&) {
              outcome = 2;
            }
            throw;
          }
        });
        g.create_task([] {
          coreio::yield_now();
          throw DivByZero();
        });
        return;
      }
      // Several loops: the child runs on another loop without suspending
      // while a sibling on this one fails and the group aborts (the
      // children's done callbacks run here, where they were created).
      const std::size_t here = coreio::get_running_loop().index();
      const std::size_t there = (here + 1) % rt.num_loops();
      g.create_task(
          [&] {
            spinning = true;
            const auto deadline = std::chrono::steady_clock::now() + 10s;
            while (coreio::current_task().cancelling() == 0 && std::chrono::steady_clock::now() < deadline) {}
            CHECK(coreio::current_task().cancelling() > 0);
            late = g.create_task([&] { body_ran = true; }); // no suspension: still overlapped
            outcome = 1;
            coreio::sleep(10s); // the pending cancellation lands here
            FAIL("not cancelled");
          },
          {.pinned = true, .loop = &rt.loop(there)});
      g.create_task(
          [&] {
            while (!spinning.load()) coreio::sleep(1ms); // it started: it is cancelled while running
            throw DivByZero();
          },
          {.pinned = true, .loop = &rt.loop(here)});
    });
  });
  const auto types = error_types(eg);
  CHECK(types.size() == 1);
  CHECK(types.count(typeid(DivByZero)) == 1);
  CHECK(outcome.load() == (rt.num_loops() == 1 ? 2 : 1));
  if (rt.num_loops() > 1) CHECK(late.cancelled()); // cancelled before it started
  CHECK_FALSE(body_ran.load());
}
