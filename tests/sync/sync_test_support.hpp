// Test support for tests/sync and tests/stress/sync_*: a probe into the
// primitives' waiter lists (through detail, STYLE.md 14) and helpers to
// (a) wait until a condition holds and (b) run a scenario on one loop, where
// every task it creates runs in asyncio's FIFO order on that loop's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "coreio/coreio.hpp"
#include "coreio/sync/sync.hpp"

namespace coreio::detail {

/// Reads waiter counts under each primitive's own lock.
struct SyncProbe {
  static std::size_t waiters(const Lock& l) { return l.permits_.waiter_count(); }
  static std::size_t waiters(const Semaphore& s) { return s.permits_.waiter_count(); }
  /// asyncio's `sem._value`: free permits, not counting those handed to woken waiters.
  static std::uint64_t value(const Semaphore& s) { return s.permits_.value(); }
  static std::size_t waiters(const Event& e) {
    std::lock_guard g(e.lock_);
    return e.waiters_.size();
  }
  static std::size_t waiters(const Condition& c) {
    std::lock_guard g(c.waiters_lock_);
    return c.waiters_.size();
  }
  static std::size_t waiters(const Barrier& b) {
    std::lock_guard g(b.lock_);
    return b.waiters_.size();
  }
  template <class T>
  static std::size_t getters(const Queue<T>& q) {
    std::lock_guard g(q.lock_);
    return q.getters_.size();
  }
  template <class T>
  static std::size_t putters(const Queue<T>& q) {
    std::lock_guard g(q.lock_);
    return q.putters_.size();
  }
  template <class T>
  static std::size_t joiners(const Queue<T>& q) {
    std::lock_guard g(q.lock_);
    return q.joiners_.size();
  }
  static std::size_t waiters(const Notify& n) {
    std::lock_guard g(n.lock_);
    return n.waiters_.size();
  }
  static std::size_t waiters(const RwLock& l) {
    std::lock_guard g(l.lock_);
    return l.waiters_.size();
  }
  /// A oneshot receiver waiting in recv() (0 or 1).
  template <class T>
  static std::size_t waiters(const oneshot::Receiver<T>& rx) {
    std::lock_guard g(rx.state_->lock);
    return rx.state_->receivers.size();
  }
  /// The mpsc receiver waiting in recv() (0 or 1).
  template <class T>
  static std::size_t waiters(const mpsc::Receiver<T>& rx) {
    std::lock_guard g(rx.state_->lock);
    return rx.state_->receivers.size();
  }
  /// Senders waiting for room in rx's channel.
  template <class T>
  static std::size_t senders(const mpsc::Receiver<T>& rx) {
    std::lock_guard g(rx.state_->lock);
    return rx.state_->senders.size();
  }
  /// Receivers of rx's channel waiting in recv().
  template <class T>
  static std::size_t waiters(const broadcast::Receiver<T>& rx) {
    std::lock_guard g(rx.state_->lock);
    return rx.state_->receivers.size();
  }
  /// Receivers of rx's channel waiting in changed().
  template <class T>
  static std::size_t waiters(const watch::Receiver<T>& rx) {
    std::lock_guard g(rx.state_->lock);
    return rx.state_->receivers.size();
  }
};

} // namespace coreio::detail

namespace doctest {
/// Prints line logs and index lists in failed CHECKs.
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string out = "{";
    for (const auto& s : v) out += "\n  \"" + s + "\"";
    out += "\n}";
    return out.c_str();
  }
};
template <>
struct StringMaker<std::vector<int>> {
  static String convert(const std::vector<int>& v) {
    std::string out = "{";
    for (int i : v) out += " " + std::to_string(i);
    out += " }";
    return out.c_str();
  }
};
} // namespace doctest

namespace synctest {

using Probe = coreio::detail::SyncProbe;

/// Polls pred() (yielding, then sleeping briefly) until it holds; fails the
/// test if it does not within `limit`. Works from a task or a plain thread.
template <class Pred>
void eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (int i = 0; !pred(); ++i) {
    if (std::chrono::steady_clock::now() >= deadline) FAIL("condition not reached in time");
    if (i < 16) coreio::yield_now();
    else coreio::sleep(std::chrono::microseconds(200));
  }
}

/// Awaits a stress worker whose body catches every CancelledError it sees and
/// carries on. Such a task can still end cancelled: a cancel() that arrives
/// after its last suspension point ends it cancelled once the body returns
/// (asyncio's test_cancel_at_end), after all of its work. That is not a
/// failure here; anything else the task raised is.
template <class T>
void finish_worker(coreio::Task<T>& t) {
  try {
    t.get();
  } catch (const coreio::CancelledError&) {
    CHECK(t.cancelled());
  }
}

/// A plain OS thread that a task may join without blocking its loop thread:
/// join() first waits (suspending the task) until the thread's function has
/// returned, so a thread that still needs the loop to make progress (say, a
/// producer waiting for a task to consume) can finish.
class Thread {
public:
  template <class F>
  explicit Thread(F fn)
      : thread_([this, fn = std::move(fn)]() mutable {
          struct Done {
            std::atomic<bool>& flag;
            ~Done() { flag.store(true); }
          } done{done_};
          fn();
        }) {}
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;
  ~Thread() {
    if (thread_.joinable()) thread_.join();
  }
  void join() {
    eventually([&] { return done_.load(); });
    thread_.join();
  }

private:
  std::atomic<bool> done_{false}; // before thread_: set up before the thread starts
  std::thread thread_;
};

/// Runs fn as a task pinned to the calling task's current loop and waits for
/// it. Tasks fn creates with spawn_here() share that loop: one thread, FIFO
/// order, no preemption between suspension points (asyncio's model).
template <class F>
decltype(auto) on_one_loop(F&& fn) {
  return coreio::run_on(coreio::get_running_loop(), std::forward<F>(fn));
}

/// A task pinned to the current loop.
template <class F>
auto spawn_here(F&& fn) {
  return coreio::get_running_loop().create_task(std::forward<F>(fn));
}

/// A line log for the seeds' "checked output" tests; thread-safe.
class Output {
public:
  void print(std::string line) {
    std::lock_guard g(mu_);
    lines_.push_back(std::move(line));
  }
  [[nodiscard]] std::vector<std::string> lines() const {
    std::lock_guard g(mu_);
    return lines_;
  }

private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

/// Outcome of a task body that may be cancelled: "ok" or "cancelled".
template <class F>
std::string outcome_of(F&& fn) {
  try {
    std::forward<F>(fn)();
    return "ok";
  } catch (const coreio::CancelledError&) {
    return "cancelled";
  }
}

} // namespace synctest
