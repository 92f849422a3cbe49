#include "coreio/sync/rwlock.hpp"

#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "sync_test_support.hpp"

using synctest::eventually;
using synctest::on_one_loop;
using synctest::Probe;
using synctest::spawn_here;

TEST_SUITE("RwLock") {
  COREIO_TEST_CASE("many readers hold the lock at once, a writer holds it alone") {
    coreio::RwLock rw;
    {
      auto r1 = rw.read();
      auto r2 = rw.try_read();
      REQUIRE(r2.has_value());
      CHECK(rw.readers() == 2);
      CHECK_FALSE(rw.try_write().has_value());
    }
    CHECK(rw.readers() == 0);
    {
      auto w = rw.write();
      CHECK(rw.write_locked());
      CHECK_FALSE(rw.try_read().has_value());
      CHECK_FALSE(rw.try_write().has_value());
      w.unlock();
      CHECK_FALSE(w.owns_lock());
      CHECK_FALSE(rw.write_locked());
    }
    auto w = rw.try_write();
    CHECK(w.has_value());
  }

  COREIO_TEST_CASE("a waiting writer blocks readers that arrive after it, and they get in once it is done") {
    coreio::RwLock rw;
    auto held = rw.read();
    std::atomic<int> stage{0};
    auto writer = coreio::create_task([&] {
      auto g = rw.write();
      CHECK(rw.readers() == 0);
      stage = 1;
    });
    eventually([&] { return Probe::waiters(rw) == 1; });
    CHECK_FALSE(rw.try_read().has_value()); // writer preference
    auto reader = coreio::create_task([&] {
      auto g = rw.read();
      CHECK(stage.load() == 1); // only after the writer
    });
    eventually([&] { return Probe::waiters(rw) == 2; });
    held.unlock();
    writer.get();
    reader.get();
    CHECK(rw.readers() == 0);
    CHECK_FALSE(rw.write_locked());
  }

  COREIO_TEST_CASE("readers queued behind a writer are admitted together, up to the next writer") {
    on_one_loop([] {
      coreio::RwLock rw;
      auto w = rw.write();
      coreio::Event release;
      std::vector<std::string> log;
      auto reader = [&](std::string name) {
        return spawn_here([&, name] {
          auto g = rw.read();
          log.push_back(name);
          release.wait();
        });
      };
      auto r1 = reader("r1");
      auto r2 = reader("r2");
      auto w2 = spawn_here([&] {
        auto g = rw.write();
        log.push_back("w2");
      });
      auto r3 = reader("r3");
      eventually([&] { return Probe::waiters(rw) == 4; });
      w.unlock(); // admits r1 and r2, not w2 nor r3 behind it
      CHECK(rw.readers() == 2);
      CHECK(Probe::waiters(rw) == 2);
      eventually([&] { return log.size() == 2; });
      release.set();
      r1.get();
      r2.get();
      w2.get();
      r3.get();
      CHECK(log == std::vector<std::string>{"r1", "r2", "w2", "r3"});
    });
  }

  COREIO_TEST_CASE("a cancelled waiting writer lets the readers queued behind it in") {
    coreio::RwLock rw;
    auto held = rw.read();
    auto writer = coreio::create_task([&] { auto g = rw.write(); });
    eventually([&] { return Probe::waiters(rw) == 1; });
    auto reader = coreio::create_task([&] { auto g = rw.read(); });
    eventually([&] { return Probe::waiters(rw) == 2; });
    writer.cancel();
    CHECK_THROWS_AS(writer.get(), coreio::CancelledError);
    reader.get(); // admitted although `held` is still held
    CHECK(rw.readers() == 1);
    held.unlock();
    CHECK(rw.try_write().has_value());
  }

  COREIO_TEST_CASE("a writer granted the lock and cancelled before it runs passes it on") {
    on_one_loop([] {
      coreio::RwLock rw;
      auto w = rw.write();
      auto w2 = spawn_here([&] { auto g = rw.write(); });
      auto r = spawn_here([&] {
        auto g = rw.read();
        return rw.readers();
      });
      eventually([&] { return Probe::waiters(rw) == 2; });
      w.unlock(); // grants w2, which has not run
      CHECK(rw.write_locked());
      w2.cancel();
      CHECK_THROWS_AS(w2.get(), coreio::CancelledError);
      CHECK(r.get() == 1);
      CHECK_FALSE(rw.write_locked());
      CHECK(rw.readers() == 0);
    });
  }

  COREIO_TEST_CASE("a reader granted the lock and cancelled before it runs gives its share back") {
    on_one_loop([] {
      coreio::RwLock rw;
      auto w = rw.write();
      auto r = spawn_here([&] { auto g = rw.read(); });
      auto w2 = spawn_here([&] { auto g = rw.write(); });
      eventually([&] { return Probe::waiters(rw) == 2; });
      w.unlock(); // grants r
      CHECK(rw.readers() == 1);
      r.cancel();
      CHECK_THROWS_AS(r.get(), coreio::CancelledError);
      w2.get();
      CHECK(rw.readers() == 0);
      CHECK_FALSE(rw.write_locked());
    });
  }

  COREIO_TEST_CASE("std::shared_lock and std::unique_lock work with RwLock, and unlocking what is not held raises") {
    coreio::RwLock rw;
    {
      std::shared_lock s1(rw);
      std::shared_lock s2(rw);
      CHECK(rw.readers() == 2);
    }
    {
      std::unique_lock u(rw);
      CHECK(rw.write_locked());
    }
    CHECK_THROWS_AS(rw.unlock(), coreio::RuntimeError);
    CHECK_THROWS_AS(rw.unlock_shared(), coreio::RuntimeError);
    rw.lock_shared();
    CHECK_THROWS_AS(rw.unlock(), coreio::RuntimeError);
    rw.unlock_shared();
  }

  COREIO_TEST_CASE("readers and writers on every loop and a plain thread never overlap a writer") {
    coreio::RwLock rw;
    std::atomic<int> readers_inside{0};
    std::atomic<int> writers_inside{0};
    std::atomic<bool> overlap{false};
    long long counter = 0; // written only by writers, under the lock
    constexpr int rounds = 300;
    auto work = [&](bool writes) {
      for (int i = 0; i < rounds; ++i) {
        if (writes && i % 3 == 0) {
          auto g = rw.write();
          if (writers_inside.fetch_add(1) != 0 || readers_inside.load() != 0) overlap = true;
          ++counter;
          if (i % 2 == 0) coreio::yield_now();
          writers_inside.fetch_sub(1);
        } else {
          auto g = rw.read();
          readers_inside.fetch_add(1);
          if (writers_inside.load() != 0) overlap = true;
          if (i % 2 == 0) coreio::yield_now();
          readers_inside.fetch_sub(1);
        }
      }
    };
    std::vector<coreio::Task<>> tasks;
    for (int t = 0; t < 6; ++t) tasks.push_back(coreio::create_task([&, t] { work(t % 2 == 0); }));
    synctest::Thread th([&] { work(true); });
    for (auto& t : tasks) t.get();
    th.join();
    CHECK_FALSE(overlap.load());
    CHECK(counter == 4 * ((rounds + 2) / 3));
  }

  COREIO_TEST_CASE("read in a loop callback raises RuntimeError when it would wait") {
    coreio::RwLock rw;
    auto w = rw.write();
    auto& loop = coreio::get_running_loop();
    auto result = loop.create_future<std::string>();
    loop.call_soon([&] {
      try {
        auto g = rw.read();
        result.set_result("returned");
      } catch (const coreio::RuntimeError&) {
        result.set_result("RuntimeError");
      }
    });
    CHECK(result.get() == "RuntimeError");
    CHECK(Probe::waiters(rw) == 0);
  }

} // TEST_SUITE
