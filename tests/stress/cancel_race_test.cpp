// Cancellation across loops must never lose or duplicate work.
//
// Every operation runs as its own short task whose outcome is the verdict:
// a put task that completed delivered its item, one that ended cancelled did
// not (and its driver puts the item again with a new task); a get task that
// completed took the item it returns, one that ended cancelled took nothing.
// Likewise a Lock/Semaphore acquire task that completed holds the lock or a
// permit (its driver releases it), one that ended cancelled holds nothing.
// Cancel storms hit these tasks from tasks pinned to every loop and from
// plain OS threads, so cancel() arrives while a task waits, while it was
// woken and not yet run, and while it runs on another thread.
//
// The rule checked: a cancel from another thread while the task is running
// is delivered at its next suspension point; if the body returns first, the
// task completes with its result (cancel() having returned true). Each task
// body spins briefly after its operation (no suspension point) to widen that
// window. Then every item is taken exactly once, no cancelled task holds the
// lock, and no permit is lost or doubled.
//
// Size: COREIO_CANCEL_RACE_ITEMS put/get pairs per queue case and as many
// acquire/release hand-offs per lock case (default 100,000; 1,000 under
// TSan, with a sparser storm). COREIO_CANCEL_RACE_RUNS repeats each case (default 1).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../sync/sync_test_support.hpp"
#include "coreio/coreio.hpp"
#include "coreio/sync/lock.hpp"
#include "coreio/sync/queue.hpp"
#include "coreio/sync/semaphore.hpp"
#include "coreio_test.hpp"

#if defined(__SANITIZE_THREAD__)
#define COREIO_CANCEL_RACE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define COREIO_CANCEL_RACE_TSAN 1
#endif
#endif

namespace {

using namespace std::chrono_literals;

#ifdef COREIO_CANCEL_RACE_TSAN
// TSan slows the tasks ~20x but not the cancellers' sleeps: fewer items and
// a sparser storm keep the run to seconds and most operations completing.
constexpr long default_items = 1'000;
constexpr int thread_burst = 4;
constexpr auto thread_pause = std::chrono::microseconds(200);
constexpr int task_yield_in_10 = 2; // of 10 rounds, the rest sleep
constexpr auto task_pause = std::chrono::microseconds(100);
#else
constexpr long default_items = 100'000;
constexpr int thread_burst = 16;
constexpr auto thread_pause = std::chrono::microseconds(30);
constexpr int task_yield_in_10 = 8;
constexpr auto task_pause = std::chrono::microseconds(20);
#endif

long env_long(const char* name, long fallback) {
  if (const char* v = std::getenv(name)) {
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (end != v && *end == '\0' && n > 0) return n;
  }
  return fallback;
}

long items() { return env_long("COREIO_CANCEL_RACE_ITEMS", default_items); }
long runs() { return env_long("COREIO_CANCEL_RACE_RUNS", 1); }

/// Busy work after the operation, with no suspension point: a window in
/// which a cancel from another thread finds the task running.
void spin_briefly(std::uint32_t seed) {
  volatile std::uint32_t x = seed;
  for (int i = 0; i < 64; ++i) x = x * 1664525u + 1013904223u;
}

/// The task a driver currently waits for, where cancellers can find it.
struct Slot {
  std::mutex mu;
  coreio::TaskHandle task;
  bool live = false;

  void publish(coreio::TaskHandle t) {
    std::lock_guard g(mu);
    task = std::move(t);
    live = true;
  }
  void retire() {
    std::lock_guard g(mu);
    live = false;
    task = {};
  }
  bool cancel() {
    std::lock_guard g(mu);
    return live && task.cancel("storm");
  }
};

struct Storm {
  std::vector<std::unique_ptr<Slot>> slots;
  std::atomic<bool> stop{false};
  std::atomic<long> sent{0}; // cancel() calls that returned true

  explicit Storm(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) slots.push_back(std::make_unique<Slot>());
  }
};

void storm_round(Storm& storm, std::mt19937& rng) {
  std::uniform_int_distribution<std::size_t> pick(0, storm.slots.size() - 1);
  if (storm.slots[pick(rng)]->cancel()) storm.sent.fetch_add(1, std::memory_order_relaxed);
}

/// Cancellers: one task pinned to every loop and two plain threads.
class Cancellers {
public:
  explicit Cancellers(Storm& storm) : storm_(storm) {
    coreio::Runtime& rt = coreio::get_running_loop().runtime();
    for (std::size_t i = 0; i < rt.num_loops(); ++i) {
      tasks_.push_back(rt.loop(i).create_task([&storm, i] {
        std::mt19937 rng(static_cast<std::uint32_t>(1000 + i));
        std::uniform_int_distribution<int> pause(0, 9);
        while (!storm.stop.load(std::memory_order_relaxed)) {
          storm_round(storm, rng);
          if (pause(rng) < task_yield_in_10) coreio::yield_now();
          else coreio::sleep(task_pause);
        }
      }));
    }
    for (int t = 0; t < 2; ++t) {
      threads_.push_back(std::make_unique<synctest::Thread>([&storm, t] {
        std::mt19937 rng(static_cast<std::uint32_t>(77 + t));
        while (!storm.stop.load(std::memory_order_relaxed)) {
          for (int burst = 0; burst < thread_burst; ++burst) storm_round(storm, rng);
          std::this_thread::sleep_for(thread_pause);
        }
      }));
    }
  }
  void stop() {
    storm_.stop = true;
    for (auto& t : tasks_) t.get();
    for (auto& t : threads_) t->join();
  }

private:
  Storm& storm_;
  std::vector<coreio::Task<>> tasks_;
  std::vector<std::unique_ptr<synctest::Thread>> threads_;
};

constexpr int producers = 4;
constexpr int consumers = 4;

void queue_exactly_once(std::int64_t maxsize) {
  const long n = items();
  for (long run = 0; run < runs(); ++run) {
    coreio::Queue<long> q(maxsize);
    std::vector<std::atomic<int>> taken(static_cast<std::size_t>(n));
    std::atomic<long> cancelled_puts{0};
    std::atomic<long> cancelled_gets{0};
    Storm storm(producers + consumers);
    Cancellers cancellers(storm);

    std::vector<coreio::Task<>> drivers;
    for (int p = 0; p < producers; ++p) {
      drivers.push_back(coreio::create_task([&, p] {
        Slot& slot = *storm.slots[static_cast<std::size_t>(p)];
        for (long i = p; i < n; i += producers) {
          for (;;) {
            auto put = coreio::create_task([&q, i] {
              q.put(i);
              spin_briefly(static_cast<std::uint32_t>(i));
            });
            slot.publish(put.handle());
            put.wait();
            slot.retire();
            if (!put.cancelled()) {
              put.get();
              break;
            }
            cancelled_puts.fetch_add(1, std::memory_order_relaxed); // not delivered: put it again
          }
        }
      }));
    }
    for (int c = 0; c < consumers; ++c) {
      drivers.push_back(coreio::create_task([&, c] {
        Slot& slot = *storm.slots[static_cast<std::size_t>(producers + c)];
        for (;;) {
          auto get = coreio::create_task([&q] {
            const long v = q.get();
            spin_briefly(static_cast<std::uint32_t>(v));
            return v;
          });
          slot.publish(get.handle());
          get.wait();
          slot.retire();
          if (get.cancelled()) {
            cancelled_gets.fetch_add(1, std::memory_order_relaxed); // took nothing: get again
            continue;
          }
          try {
            const long v = get.get();
            taken[static_cast<std::size_t>(v)].fetch_add(1, std::memory_order_relaxed);
          } catch (const coreio::QueueShutDown&) {
            return; // drained
          }
        }
      }));
    }
    for (int p = 0; p < producers; ++p) drivers[static_cast<std::size_t>(p)].get();
    q.shutdown(); // get() returns what is left, then raises QueueShutDown
    for (std::size_t c = producers; c < drivers.size(); ++c) drivers[c].get();
    cancellers.stop();

    long lost = 0;
    long duplicated = 0;
    for (const auto& t : taken) {
      if (t.load() == 0) ++lost;
      if (t.load() > 1) duplicated += t.load() - 1;
    }
    MESSAGE("queue maxsize ", maxsize, ", run ", run + 1, ": items ", n, ", cancels ", storm.sent.load(),
            ", cancelled puts ", cancelled_puts.load(), ", cancelled gets ", cancelled_gets.load(), ", lost ", lost,
            ", duplicated ", duplicated);
    CHECK(lost == 0);
    CHECK(duplicated == 0);
    CHECK(q.qsize() == 0);
  }
}

constexpr int lock_drivers = 6;

/// Hand-offs through a Semaphore of `permits` (a Lock when lock != nullptr):
/// acquire tasks that complete hold a permit until their driver releases it;
/// one that ends cancelled must hold nothing.
template <class Acquire, class Release, class FreeCount>
void hand_offs_exactly_once(const std::string& what, int permits, Acquire acquire, Release release,
                            FreeCount free_count) {
  const long n = items();
  for (long run = 0; run < runs(); ++run) {
    std::atomic<int> holders{0};
    std::atomic<int> max_holders{0};
    std::atomic<long> completed{0};
    std::atomic<long> cancelled{0};
    std::atomic<long> cancelled_holding{0};
    Storm storm(lock_drivers);
    Cancellers cancellers(storm);
    std::vector<coreio::Task<>> drivers;
    for (int d = 0; d < lock_drivers; ++d) {
      drivers.push_back(coreio::create_task([&, d] {
        Slot& slot = *storm.slots[static_cast<std::size_t>(d)];
        for (long i = d; i < n; i += lock_drivers) {
          // Set by the acquire task once it holds: a task reported cancelled
          // with this set kept what a cancelled acquire must not hold.
          auto held = std::make_shared<std::atomic<bool>>(false);
          auto t = coreio::create_task([&, held, i] {
            acquire();
            held->store(true);
            const int now = holders.fetch_add(1) + 1;
            int seen = max_holders.load();
            while (now > seen && !max_holders.compare_exchange_weak(seen, now)) {}
            spin_briefly(static_cast<std::uint32_t>(i));
          });
          slot.publish(t.handle());
          t.wait();
          slot.retire();
          if (t.cancelled()) {
            cancelled.fetch_add(1, std::memory_order_relaxed);
            if (held->load()) {
              // A violation; give it back so the run can go on and count more.
              cancelled_holding.fetch_add(1, std::memory_order_relaxed);
              holders.fetch_sub(1);
              release();
            }
            continue;
          }
          t.get();
          completed.fetch_add(1, std::memory_order_relaxed);
          if (i % 8 == 0) coreio::yield_now(); // hold it across a suspension now and then
          holders.fetch_sub(1);
          release();
        }
      }));
    }
    for (auto& d : drivers) d.get();
    cancellers.stop();
    const int free_now = free_count();
    MESSAGE(what, ", run ", run + 1, ": attempts ", n, ", cancels ", storm.sent.load(), ", completed ",
            completed.load(), ", cancelled ", cancelled.load(), ", cancelled yet holding ", cancelled_holding.load(),
            ", max holders ", max_holders.load(), ", free at end ", free_now, " of ", permits);
    CHECK(cancelled_holding.load() == 0);
    CHECK(max_holders.load() <= permits);
    CHECK(free_now == permits);
  }
}

} // namespace

TEST_SUITE("stress: cancellation races") {
  COREIO_TEST_CASE("cancel storms lose or duplicate no item through a bounded Queue") { queue_exactly_once(8); }

  COREIO_TEST_CASE("cancel storms lose or duplicate no item through an unbounded Queue") { queue_exactly_once(0); }

  COREIO_TEST_CASE("a Lock acquire reported cancelled never holds the lock") {
    coreio::Lock lock;
    hand_offs_exactly_once(
        "Lock", 1, [&] { lock.acquire(); }, [&] { lock.release(); },
        [&] { return lock.try_acquire() ? (lock.release(), 1) : 0; });
  }

  COREIO_TEST_CASE("a Semaphore under cancel storms loses and doubles no permit") {
    constexpr int permits = 3;
    coreio::Semaphore sem(permits);
    hand_offs_exactly_once(
        "Semaphore(3)", permits, [&] { sem.acquire(); }, [&] { sem.release(); },
        [&] {
          int free = 0;
          while (sem.try_acquire()) ++free;
          for (int i = 0; i < free; ++i) sem.release();
          return free;
        });
  }

} // TEST_SUITE
